package manifest

import (
	"fmt"
	"io"
	"os"
)

// MaxFileBytes bounds porter.yaml and each bundle.json read: a definition
// of a bundle is kilobytes, and parsing YAML costs several times its size
// in memory. A larger file fails with ErrTooLarge, never read in part.
const MaxFileBytes = 16 << 20

// readFile reads the definition file at path, refusing one over
// MaxFileBytes before reading it (and while reading, for a file whose size
// is not known in advance).
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileBytes {
		return nil, tooLarge(path, fmt.Sprintf("%.1f MiB", float64(fi.Size())/(1<<20)))
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, tooLarge(path, fmt.Sprintf("more than %d MiB", MaxFileBytes>>20))
	}
	return data, nil
}

func tooLarge(path, size string) error {
	return &sizeError{fmt.Sprintf("%s is %s, over the %d MiB limit of a bundle definition file", path, size, MaxFileBytes>>20)}
}

// sizeError is a file over MaxFileBytes; it matches ErrTooLarge.
type sizeError struct{ msg string }

func (e *sizeError) Error() string        { return e.msg }
func (e *sizeError) Is(target error) bool { return target == ErrTooLarge }
