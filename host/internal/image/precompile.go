package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// precompile fills p's cache by running the image's own mixbox
// (`mixbox precompile`), so the cache matches exactly the wazero version
// and the built-in modules the container runs, then adds it to content
// under CacheDir. A cache made earlier from the same runtime and modules is
// reused from the user's cache directory.
func (b *builder) precompile(ctx context.Context, p Platform, content files, runtime string, builtin bool, wasm []string) error {
	start := time.Now()
	key, err := precompileKey(runtime, builtin, wasm)
	if err != nil {
		return err
	}
	dir, reused := b.reusable(key)
	if !reused {
		dir = filepath.Join(b.staging, "cache-"+p.Arch)
		if err := runPrecompile(ctx, p, runtime, dir, builtin, wasm); err != nil {
			return err
		}
		b.keep(key, dir)
	}
	n, size, err := addCache(content, dir)
	if err != nil {
		return err
	}
	how := "in " + time.Since(start).Round(time.Millisecond).String()
	if reused {
		how = "reused from " + dir
	}
	b.logf("%s: precompiled %d wasm module(s) into %s (%d files, %.1f MB), %s",
		p, len(wasm)+boolInt(builtin), CacheDir, n, float64(size)/1e6, how)
	return nil
}

// runPrecompile runs `RUNTIME precompile --cache-dir DIR`, once for the
// built-ins and once for the installed wasm modules.
func runPrecompile(ctx context.Context, p Platform, runtime, dir string, builtin bool, wasm []string) error {
	var runs [][]string
	if builtin {
		runs = append(runs, nil) // no module: the built-ins
	}
	if len(wasm) > 0 {
		runs = append(runs, wasm)
	}
	for _, mods := range runs {
		args := append([]string{"precompile", "--cache-dir", dir}, mods...)
		cmd := exec.CommandContext(ctx, runtime, args...)
		cmd.Env = []string{}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return hint(fmt.Errorf("precompile the mixins for %s: %s %s: %w\n%s", p, runtime, strings.Join(args, " "), err, strings.TrimSpace(out.String())),
				"check the wasm mixins with 'mixbox mixin inspect'")
		}
	}
	return nil
}

// addCache adds the cache in dir to content under CacheDir and returns the
// number of files and their size.
func addCache(content files, dir string) (int, int64, error) {
	var n int
	var size int64
	err := filepath.WalkDir(dir, func(f string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, f)
		if err != nil || rel == "." {
			return err
		}
		name := path.Join(CacheDir, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			content.add(entry{name: name, mode: 0o775, dir: true})
		case d.Type().IsRegular() && !strings.HasPrefix(d.Name(), "."): // not a probe or a temporary file
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n++
			size += fi.Size()
			content.add(entry{name: name, mode: 0o664, src: f})
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("read the precompiled cache: %w", err)
	}
	return n, size, nil
}

// precompileKey names a precompiled cache by what makes it: the runtime's
// bytes (its wazero and built-ins) and each module's.
func precompileKey(runtime string, builtin bool, wasm []string) (string, error) {
	var sums []string
	for _, f := range append([]string{runtime}, wasm...) {
		s, err := fileSum(f)
		if err != nil {
			return "", fmt.Errorf("precompile: %w", err)
		}
		sums = append(sums, s)
	}
	sort.Strings(sums[1:])
	h := sha256.New()
	_, _ = fmt.Fprintf(h, "mixbox-precompile-v1\n%t\n%s\n", builtin, strings.Join(sums, "\n"))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fileSum(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }() // read only
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// reuseDir is where precompiled caches are kept between builds:
// $XDG_CACHE_HOME/mixbox/build, else ~/.cache/mixbox/build; "" without
// either.
func (b *builder) reuseDir() string {
	kc := envKeychain{env: b.opts.Env}
	if x := kc.lookup("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "mixbox", "build")
	}
	if h := kc.lookup("HOME"); h != "" {
		return filepath.Join(h, ".cache", "mixbox", "build")
	}
	return ""
}

// reusable returns a kept cache for key, if there is one.
func (b *builder) reusable(key string) (string, bool) {
	root := b.reuseDir()
	if root == "" {
		return "", false
	}
	dir := filepath.Join(root, key)
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		return "", false
	}
	return dir, true
}

// keep copies a fresh cache to the user's cache directory for the next
// build; failing to is not an error, only slower next time.
func (b *builder) keep(key, dir string) {
	root := b.reuseDir()
	if root == "" {
		return
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return
	}
	tmp, err := os.MkdirTemp(root, ".tmp-")
	if err != nil {
		return
	}
	defer func() { _ = os.RemoveAll(tmp) }() // gone once renamed, or a failed copy
	err = filepath.WalkDir(dir, func(f string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, f)
		if err != nil {
			return err
		}
		target := filepath.Join(tmp, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil || os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o644) != nil {
		return
	}
	_ = os.Rename(tmp, filepath.Join(root, key)) // another build may have kept it first
}
