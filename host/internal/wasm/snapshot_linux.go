package wasm

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapShared maps limit bytes of a new memfd, shared, and returns them with
// length zero and the memfd; ok is false when it cannot.
func mapShared(limit uint64) (b []byte, fd int, ok bool) {
	if limit == 0 || limit > 1<<34 {
		return nil, -1, false
	}
	fd, err := unix.MemfdCreate("mixbox-reactor", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, -1, false
	}
	if err := unix.Ftruncate(fd, int64(limit)); err != nil {
		closeFD(fd)
		return nil, -1, false
	}
	b, err = syscall.Mmap(fd, 0, int(limit), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_NORESERVE)
	if err != nil {
		closeFD(fd)
		return nil, -1, false
	}
	return b[:0], fd, true
}

// remapPrivate replaces the shared mapping b of fd with a private,
// copy-on-write one of the same file at the same address: what was written
// so far becomes the file's contents, which every page shows again once
// dropPages drops it.
func remapPrivate(b []byte, fd int) error {
	_, err := unix.MmapPtr(fd, 0, unsafe.Pointer(unsafe.SliceData(b)), uintptr(len(b)),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED|unix.MAP_NORESERVE)
	return err
}

// dropPages discards the pages of b: a private file mapping shows the file
// again, an anonymous one zeros.
func dropPages(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	return syscall.Madvise(b, syscall.MADV_DONTNEED)
}

func closeFD(fd int) { _ = unix.Close(fd) } // a memfd of ours; closing cannot lose data
