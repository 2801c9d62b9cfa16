# doppel: the two commands of README.md (make demo, make test) and their parts.
PACKAGES := busybox-static cmake ninja-build pkg-config g++ libasmjit-dev libzydis-dev libzycore-dev \
            libxxhash-dev libgtest-dev libbenchmark-dev gcc-multilib g++-multilib nasm
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: deps build build-nojit demo test test-jit test-nojit bench bench-suite fuzz asan isa-coverage clean

deps:
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DDOPPEL_WERROR=ON $(CMAKE_FLAGS)
	cmake --build build -j $(JOBS)

build-nojit: deps
	cmake -S . -B build-nojit -G Ninja -DCMAKE_BUILD_TYPE=Release -DDOPPEL_WERROR=ON -DDOPPEL_JIT=OFF
	cmake --build build-nojit -j $(JOBS)

demo: build
	./build/doppel demo

test-jit: build
	cd build && ctest --output-on-failure -j $(JOBS)

test-nojit: build-nojit
	cd build-nojit && ctest --output-on-failure -j $(JOBS)

test: test-jit test-nojit

bench: build
	./build/bench/doppel_bench

bench-suite: build
	./bench/run $(BENCH_ARGS)

fuzz: build
	./build/tests/doppel_fuzz

isa-coverage: build
	./build/tests/doppel_isa_coverage

asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDOPPEL_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf build build-nojit build-asan
