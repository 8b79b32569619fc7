package image

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// mixin is how a declared mixin gets into an image.
type mixin struct {
	name   string
	form   string // "wasm", "built-in" or "native"
	src    string // the file to copy, "" when it is already in the image
	image  string // its path in the image
	origin string // where it was found, for the log
}

// resolveMixins finds each declared mixin's build for p, in the order the
// runtime will (shared/spec/cli.md): an installed wasm build, a built-in
// one, else a native runtime for p's architecture.
func (b *builder) resolveMixins(p Platform) ([]mixin, error) {
	dirs := []string{}
	if b.opts.MixinsDir != "" {
		dirs = append(dirs, b.opts.MixinsDir)
	}
	inBundle := filepath.Join(b.opts.Dir, "mixins")
	dirs = append(dirs, inBundle)
	var out []mixin
	for _, decl := range b.m.Mixins {
		n := decl.Name
		inImage := path.Join(MixinsDir, n, "runtimes", n+"-runtime")
		var looked []string
		found := func(dir, src, form string) mixin {
			mx := mixin{name: n, form: form, src: src, image: inImage, origin: src}
			if form == "wasm" {
				mx.image += ".wasm"
			}
			if dir == inBundle && filepath.Base(src) == path.Base(mx.image) {
				mx.src = "" // already in the image with the bundle, where the runtime looks
			}
			return mx
		}
		var mx *mixin
		for _, dir := range dirs {
			f := filepath.Join(dir, n, "runtimes", n+"-runtime.wasm")
			looked = append(looked, f)
			if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
				if err := checkWasm(f); err != nil {
					return nil, err
				}
				m := found(dir, f, "wasm")
				mx = &m
				break
			}
		}
		if mx == nil && contains(b.opts.BuiltIns, n) {
			mx = &mixin{name: n, form: "built-in", origin: "built into mixbox"}
		}
		if mx == nil {
			looked = append(looked, "the built-in mixins ("+strings.Join(orNone(b.opts.BuiltIns), ", ")+")")
			var wrong []string
			for _, dir := range dirs {
				for _, f := range []string{
					filepath.Join(dir, n, "runtimes", n+"-runtime-"+p.OS+"-"+p.Arch),
					filepath.Join(dir, n, "runtimes", n+"-runtime"),
				} {
					looked = append(looked, f)
					if fi, err := os.Stat(f); err != nil || !fi.Mode().IsRegular() {
						continue
					}
					if _, err := checkExecutable(f, p, f); err != nil {
						wrong = append(wrong, err.Error())
						continue
					}
					m := found(dir, f, "native")
					mx = &m
					break
				}
				if mx != nil {
					break
				}
			}
			if mx == nil {
				msg := fmt.Sprintf("mixin %s has no build for %s: looked in %s", n, p, strings.Join(looked, ", "))
				if len(wrong) > 0 {
					msg += "; " + strings.Join(wrong, "; ")
				}
				return nil, hint(errors.New(msg),
					fmt.Sprintf("install its wasm build as %s (one build runs on every platform), or a native one for %s as %s, or point the mixins dir at the directory that has it",
						filepath.Join(dirs[0], n, "runtimes", n+"-runtime.wasm"), p, filepath.Join(dirs[0], n, "runtimes", n+"-runtime-"+p.OS+"-"+p.Arch)))
			}
		}
		out = append(out, *mx)
	}
	return out, nil
}

// checkWasm checks that f starts as a wasm module does; the host checks it
// in full when it compiles it.
func checkWasm(f string) error {
	fh, err := os.Open(f)
	if err != nil {
		return fmt.Errorf("read mixin %s: %w", f, err)
	}
	defer func() { _ = fh.Close() }() // read only
	head := make([]byte, 4)
	if _, err := io.ReadFull(fh, head); err != nil || !bytes.Equal(head, []byte("\x00asm")) {
		return hint(fmt.Errorf("mixin %s is not a wasm module", f), "rebuild it, or check it with 'mixbox mixin inspect'")
	}
	return nil
}
