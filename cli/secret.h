/* Cisco IOS password hashing for `enable secret` and `username NAME secret`.
 *
 * Type 9: "$9$" + 14-char salt + "$" + 43 chars; scrypt N=16384 r=1 p=1, 32-byte key.
 * Type 8: "$8$" + 14-char salt + "$" + 43 chars; PBKDF2-HMAC-SHA256, 20000 iterations.
 * Type 5: "$1$" + 1..8-char salt + "$" + 22 chars; MD5-crypt.
 * Salt and hash text use the alphabet ./0-9A-Za-z. Types 8 and 9 feed the salt characters to
 * the KDF as-is and encode the key as big-endian base64 without padding. We generate type 9
 * only; types 5 and 8 are accepted when typed back and can be verified. */
#ifndef IKEGATE_SECRET_H
#define IKEGATE_SECRET_H

#include <stdbool.h>
#include <stddef.h>

enum secret_type { SECRET_TYPE5 = 5, SECRET_TYPE8 = 8, SECRET_TYPE9 = 9 };

/* Hash a cleartext secret as type 9. out must hold at least SECRET_HASH_MAX bytes.
 * Returns 0 or -1 (out is then the empty string when outlen > 0). */
#define SECRET_HASH_MAX 128
int secret_hash9(const char *cleartext, char *out, size_t outlen);

/* Validate a hash typed back by the user (`enable secret 9 $9$...`, `secret 5 $1$...`,
 * `secret 8 $8$...`): type must match the prefix, lengths and alphabet exact (the last hash
 * character must also be a canonical encoding of the final bits). Returns 0 if well-formed,
 * -1 otherwise. */
int secret_hash_check_format(int type, const char *hash);

/* Does cleartext match the stored hash (type detected from its prefix)? Constant-time
 * comparison. Malformed or unknown hashes never match. */
bool secret_verify(const char *cleartext, const char *hash);

#endif
