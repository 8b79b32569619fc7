package hostexec

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// SpillAt is the size past which a captured stream goes to a file when the
// call allows it (Call.Spill): the host then holds no copy of a large
// capture in memory while the guest reads its own.
const SpillAt = 1 << 20

// Spill receives the streams of a call whose capture went to a file
// instead of the result's Stdout or Stderr (which are then empty). The
// receiver owns them and closes them.
type Spill struct {
	Stdout, Stderr *Spooled
}

// Close closes both streams.
func (s *Spill) Close() {
	if s == nil {
		return
	}
	s.Stdout.Close()
	s.Stderr.Close()
}

// Spooled is a captured stream in a temporary file that has no name any
// more (it is removed as soon as it is made): only this process can read
// it, and it is gone when the last reference is closed. A nil *Spooled is
// an empty stream. It is safe for concurrent use.
type Spooled struct {
	mu   sync.Mutex
	f    *os.File
	n    int64
	refs int
}

// Len returns the stream's length.
func (s *Spooled) Len() int64 {
	if s == nil {
		return 0
	}
	return s.n
}

// Reader returns a reader of the whole stream, from its start.
func (s *Spooled) Reader() io.Reader {
	if s == nil {
		return strings.NewReader("")
	}
	return io.NewSectionReader(s.f, 0, s.n)
}

// Retain adds a reference, which a Close releases.
func (s *Spooled) Retain() *Spooled {
	if s != nil {
		s.mu.Lock()
		s.refs++
		s.mu.Unlock()
	}
	return s
}

// Close releases a reference; the last closes the file.
func (s *Spooled) Close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs--
	if s.refs == 0 {
		_ = s.f.Close() // a temporary file with no name: nothing to keep
	}
}

// newSpoolFile makes a temporary file and removes its name at once.
func newSpoolFile() (*os.File, error) {
	f, err := os.CreateTemp("", "mixbox-capture-*")
	if err != nil {
		return nil, fmt.Errorf("create capture file: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		_ = f.Close() // the remove error is the one to report
		return nil, fmt.Errorf("create capture file: %w", err)
	}
	return f, nil
}
