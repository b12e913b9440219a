# Thin front door: the real work is in scripts/ and CMake. Set-up output goes to build/setup.log
# (and stderr on failure) so that `printf 'show running-config\n' | make run` prints only the
# appliance's answer.
.PHONY: all deps build run test bench soak fuzz format format-check clean
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc)

all: build

deps:
	@scripts/deps.sh

build: deps
	@scripts/build.sh debug

run: deps
	@scripts/build.sh release
	@scripts/lab-run.sh

test: deps
	@scripts/build.sh asan
	@scripts/test.sh

bench: deps
	@scripts/build.sh bench
	@scripts/bench.sh

soak: deps
	@scripts/build.sh asan
	@IKEGATED=build/asan/ikegated IKESH=build/asan/ikesh SOAK_SECONDS=$${SOAK_SECONDS:-1200} \
		python3 test/soak/soak_ike.py

fuzz: deps
	@scripts/build.sh fuzz
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-60} scripts/fuzz.sh

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

format-check:
	@scripts/format-check.sh

clean:
	rm -rf build
