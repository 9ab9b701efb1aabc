# The int8 micro-kernels (Sources/CInt8Kernels) against scalar C, with AddressSanitizer and UBSan.
#   make check-kernels          every kernel set of this CPU (part of make test)
#   make check-kernels-arm64    NEON and dot product under qemu-aarch64 (-cpu cortex-a72 = Pi 4, -cpu max),
#                               cross-built against the arm64 sysroot (make arm64-sysroot)

KERNELS_DIR  := Sources/CInt8Kernels
KERNELS_SRC  := Tests/KernelCheck/kernel_check.c $(wildcard $(KERNELS_DIR)/*.c)
# clang from the Swift toolchain when present, else the system's C compiler (gcc in the trixie root).
KERNELS_CC   ?= $(firstword $(wildcard /opt/swift/usr/bin/clang) $(shell command -v clang) cc)

TEST_PREREQS += check-kernels

.PHONY: check-kernels check-kernels-arm64

check-kernels:
	@mkdir -p .build
	@$(KERNELS_CC) -O1 -g -fsanitize=address,undefined -fno-sanitize=shift-base -fno-sanitize-recover=all \
	  -I$(KERNELS_DIR)/include -I$(KERNELS_DIR) $(KERNELS_SRC) -o .build/kernel-check >/tmp/fieldagent-kernel-check.log 2>&1 \
	  || { cat /tmp/fieldagent-kernel-check.log >&2; echo "make check-kernels: build failed" >&2; exit 1; }
	@.build/kernel-check

check-kernels-arm64: arm64-sysroot
	@mkdir -p .build
	@$(KERNELS_CC) --target=aarch64-linux-gnu --sysroot=$(ARM64_SYSROOT) -fuse-ld=lld -O2 \
	  -I$(KERNELS_DIR)/include -I$(KERNELS_DIR) $(KERNELS_SRC) -o .build/kernel-check-arm64
	@for cpu in cortex-a72 max; do echo "qemu-aarch64 -cpu $$cpu:"; \
	  QEMU_LD_PREFIX=$(ARM64_SYSROOT) qemu-aarch64-static -cpu $$cpu .build/kernel-check-arm64 || exit 1; done
