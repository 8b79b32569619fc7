package scaffold

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"text/template"
)

// Module is mixbox's module path.
const Module = "github.com/mixbox/mixbox"

//go:embed templates
var templates embed.FS

// Sentinel errors of New.
var (
	// ErrName is a mixin name that is not a lowercase name such as helm3 or
	// my-tool.
	ErrName = errors.New("invalid mixin name")
	// ErrExists is a file New would overwrite.
	ErrExists = errors.New("file exists")
)

// Options says what to scaffold where.
type Options struct {
	// Name is the mixin's name: lowercase letters, digits and dashes,
	// starting with a letter. It is also the Go module path.
	Name string
	// Dir is the directory to create (it may exist, empty or not, but no
	// file New writes may exist in it).
	Dir string
	// MixboxDir is a mixbox checkout for the replace directive; empty
	// searches for one.
	MixboxDir string
	// Mixbox is the mixbox command the Makefile runs; empty means "mixbox"
	// from the PATH.
	Mixbox string
}

// Result says what New wrote.
type Result struct {
	// Files are the files written, relative to Options.Dir, in order.
	Files []string
	// MixboxDir is the checkout go.mod points at, "" when none was found.
	MixboxDir string
	// MixboxVersion is the version of mixbox go.mod requires, "" when it
	// requires none (no checkout and no released version known).
	MixboxVersion string
}

// New writes the mixin's files into o.Dir.
func New(o Options) (Result, error) {
	if !regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`).MatchString(o.Name) || strings.HasSuffix(o.Name, "-") {
		return Result{}, fmt.Errorf("%w %q: use lowercase letters, digits and dashes, starting with a letter (e.g. helm3)", ErrName, o.Name)
	}
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return Result{}, fmt.Errorf("scaffold mixin %s: %w", o.Name, err)
	}
	data := tmplData{Name: o.Name, Module: Module, GoVersion: "1.26", Mixbox: o.Mixbox}
	if data.Mixbox == "" {
		data.Mixbox = "mixbox"
	}
	src := o.MixboxDir
	if src == "" {
		src = findCheckout(abs)
	} else if src, err = filepath.Abs(src); err != nil {
		return Result{}, fmt.Errorf("scaffold mixin %s: %w", o.Name, err)
	}
	var goSum []byte
	if src != "" {
		gomod, err := os.ReadFile(filepath.Join(src, "go.mod"))
		if err != nil || modulePath(gomod) != Module {
			return Result{}, fmt.Errorf("scaffold mixin %s: %s is not a mixbox checkout (its go.mod must declare module %s)", o.Name, src, Module)
		}
		data.MixboxDir = filepath.ToSlash(src)
		data.MixboxVersion = "v0.0.0-00010101000000-000000000000"
		data.GoVersion, data.Requires = requires(gomod)
		if goSum, err = os.ReadFile(filepath.Join(src, "go.sum")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return Result{}, fmt.Errorf("scaffold mixin %s: read go.sum: %w", o.Name, err)
		}
	} else if bi, ok := debug.ReadBuildInfo(); ok && strings.HasPrefix(bi.Main.Version, "v") && bi.Main.Path == Module {
		data.MixboxVersion = bi.Main.Version
	}

	files, err := render(data)
	if err != nil {
		return Result{}, err
	}
	if goSum != nil {
		files = append(files, file{"go.sum", goSum})
	}
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(abs, f.name)); err == nil {
			return Result{}, fmt.Errorf("%w: %s; choose another --dir or remove it", ErrExists, filepath.Join(o.Dir, f.name))
		}
	}
	res := Result{MixboxDir: data.MixboxDir, MixboxVersion: data.MixboxVersion}
	for _, f := range files {
		p := filepath.Join(abs, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return res, fmt.Errorf("scaffold mixin %s: %w", o.Name, err)
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return res, fmt.Errorf("scaffold mixin %s: %w", o.Name, err)
		}
		res.Files = append(res.Files, f.name)
	}
	return res, nil
}

type tmplData struct {
	Name          string
	Module        string
	GoVersion     string
	MixboxDir     string
	MixboxVersion string
	Requires      []string
	Mixbox        string
}

type file struct {
	name string
	data []byte
}

// render executes every template; "x.tmpl" becomes "x", "gitignore"
// becomes ".gitignore".
func render(data tmplData) ([]file, error) {
	var out []file
	err := fs.WalkDir(templates, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templates.ReadFile(p)
		if err != nil {
			return err
		}
		t, err := template.New(path.Base(p)).Parse(string(b))
		if err != nil {
			return fmt.Errorf("parse template %s: %w", p, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return fmt.Errorf("render template %s: %w", p, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".tmpl")
		if name == "gitignore" {
			name = ".gitignore"
		}
		out = append(out, file{name, buf.Bytes()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scaffold mixin %s: %w", data.Name, err)
	}
	return out, nil
}

// findCheckout looks for mixbox's go.mod in the directories above dir, the
// working directory and the running executable.
func findCheckout(dir string) string {
	starts := []string{dir}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		starts = append(starts, filepath.Dir(exe))
	}
	for _, d := range starts {
		for {
			if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && modulePath(b) == Module {
				return d
			}
			parent := filepath.Dir(d)
			if parent == d {
				break
			}
			d = parent
		}
	}
	return ""
}

// modulePath returns the module path a go.mod declares.
func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// requires returns the go version and the "path version" requirements of
// mixbox's go.mod, which the new module needs too (so that its go.mod is
// complete without a network).
func requires(gomod []byte) (string, []string) {
	goVersion := "1.26"
	var reqs []string
	block := false
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "go":
			goVersion = f[1]
		case block && len(f) == 1 && f[0] == ")":
			block = false
		case block && len(f) == 2:
			reqs = append(reqs, f[0]+" "+f[1])
		case len(f) == 2 && f[0] == "require" && f[1] == "(":
			block = true
		case len(f) == 3 && f[0] == "require":
			reqs = append(reqs, f[1]+" "+f[2])
		}
	}
	return goVersion, reqs
}
