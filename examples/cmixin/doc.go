// Package cmixin is an example mixin written in C against the mixbox_v1
// ABI, built with clang and wasi-libc (src/cmixin.c), and run in a bundle by
// `mixbox run`. The package holds only its end-to-end test; see README.md.
package cmixin
