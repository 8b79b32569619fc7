package modules

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// The cold-start flow of a short-lived process (RATIONALE.md, "Why does a
// cold run leave the compile to a detached precompile?"): with
// Options.CompileLater a module the cache does not hold runs on the
// interpreter and the Store only lists it (Cold); the process hands the
// list to `mixbox precompile --background`, which claims each module (a
// `mixbox-SHA256.filling` file beside the marker) so that runs starting
// meanwhile do not compile it again.

// FillTimeout bounds a background fill: Precompile with Claim gives up on a
// module after it, and a claim older than it is taken to be dead.
const FillTimeout = 10 * time.Minute

// Cold is a module a run loaded on the interpreter, left for another
// process to compile.
type Cold struct {
	Name  string // the mixin's name
	Where string // as Load was given it: a file, or e.g. "built-in exec"
	// File is the module's path when Where is a file, "" for a built-in.
	File string
}

// addCold lists a module for Cold, once.
func (s *Store) addCold(name, where string) {
	c := Cold{Name: name, Where: where}
	if fi, err := os.Stat(where); err == nil && fi.Mode().IsRegular() {
		c.File = where
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.cold, c) {
		s.cold = append(s.cold, c)
	}
}

// Cold returns the modules this Store loaded cold with CompileLater, in the
// order it loaded them.
func (s *Store) Cold() []Cold {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cold)
}

// Claim is the file that says a precompile is filling the cache with the
// module whose hex sha256 is sum.
func Claim(dir, sum string) string {
	return filepath.Join(dir, "mixbox-"+sum+".filling")
}

// claim takes the claim file for a module: false when another live fill
// holds it (made less than FillTimeout ago). now is the clock.
func claim(path string, now time.Time) (bool, error) {
	for range 2 {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, err = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return false, fmt.Errorf("claim %s: %w", path, err)
			}
			return true, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return false, fmt.Errorf("claim %s: %w", path, err)
		}
		fi, err := os.Stat(path)
		if err == nil && now.Sub(fi.ModTime()) < FillTimeout {
			return false, nil
		}
		_ = os.Remove(path) // a dead fill's claim (or gone already): take it over
	}
	return false, nil
}
