//go:build !linux

package wasm

import "errors"

// mapShared is Linux only (memfd): elsewhere a reactor restores by copying.
func mapShared(uint64) ([]byte, int, bool) { return nil, -1, false }

func remapPrivate([]byte, int) error { return errors.New("copy-on-write snapshots need Linux") }

func dropPages([]byte) error { return errors.New("copy-on-write snapshots need Linux") }

func closeFD(int) {}
