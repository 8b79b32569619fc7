package image

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// MixboxMain is the main package of the mixbox command: a --runtime must be
// a build of it.
const MixboxMain = "github.com/mixbox/mixbox/cmd/mixbox"

// executable is what checkExecutable learnt of a file.
type executable struct {
	script bool   // a #! script: runs on any architecture
	static bool   // an ELF without PT_INTERP
	arch   string // the Go architecture of an ELF
}

// checkExecutable checks that path is a Linux executable that runs on p: a
// #! script, or an ELF for p's architecture. what names the file in errors.
func checkExecutable(path string, p Platform, what string) (executable, error) {
	f, err := os.Open(path)
	if err != nil {
		return executable{}, fmt.Errorf("open %s: %w", what, err)
	}
	defer func() { _ = f.Close() }() // read only
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return executable{}, fmt.Errorf("read %s: %w", what, err)
	}
	if bytes.HasPrefix(head, []byte("#!")) {
		return executable{script: true}, nil
	}
	if !bytes.Equal(head, []byte(elf.ELFMAG)) {
		return executable{}, fmt.Errorf("%s is not a Linux executable (neither ELF nor a #! script)", what)
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return executable{}, fmt.Errorf("read the ELF header of %s: %w", what, err)
	}
	if ef.Type != elf.ET_EXEC && ef.Type != elf.ET_DYN {
		return executable{}, fmt.Errorf("%s is an ELF %s, not an executable", what, ef.Type)
	}
	got := archOf(ef)
	if got != p.Arch {
		desc := got
		if desc == "" {
			desc = "unknown"
		}
		return executable{}, fmt.Errorf("%s is an ELF for %s (%s), not for %s (%s)", what, desc, ef.Machine, p, arches()[p.Arch].machine)
	}
	x := executable{static: true, arch: got}
	for _, prog := range ef.Progs {
		if prog.Type == elf.PT_INTERP {
			x.static = false
		}
	}
	return x, nil
}

// archOf returns the Go architecture an ELF header names, or "".
func archOf(ef *elf.File) string {
	names := make([]string, 0, len(arches()))
	for name := range arches() {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a := arches()[name]
		if a.machine == ef.Machine && a.class == ef.Class && a.order == ef.ByteOrder {
			return name
		}
	}
	return ""
}

// interpreter returns the PT_INTERP of an ELF, for messages.
func interpreter(path string) string {
	ef, err := elf.Open(path)
	if err != nil {
		return ""
	}
	defer func() { _ = ef.Close() }() // read only
	for _, prog := range ef.Progs {
		if prog.Type == elf.PT_INTERP {
			b, err := io.ReadAll(prog.Open())
			if err == nil {
				return strings.TrimRight(string(b), "\x00")
			}
		}
	}
	return ""
}

// checkRuntime checks that path is a static mixbox for p and returns its
// version.
func checkRuntime(path string, p Platform, what string) (string, error) {
	x, err := checkExecutable(path, p, what)
	if err != nil {
		return "", hint(bad(err), fmt.Sprintf("pass a static mixbox built for %s: make build-all makes bin/%s_%s/mixbox", p, p.OS, p.Arch))
	}
	if x.script {
		return "", hint(bad(fmt.Errorf("%s is a script, not a mixbox binary", what)),
			"pass a mixbox built for "+p.String()+" (make build-all)")
	}
	if !x.static {
		return "", hint(bad(fmt.Errorf("%s is dynamically linked (interpreter %s); an image's base may have no C library", what, interpreter(path))),
			fmt.Sprintf("build mixbox static: CGO_ENABLED=0 GOOS=%s GOARCH=%s go build ./cmd/mixbox (make build, make build-all), and give it as runtime %s=PATH", p.OS, p.Arch, p))
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return "", hint(bad(fmt.Errorf("%s is not a Go binary, so not mixbox: %w", what, err)),
			"pass a mixbox built for "+p.String()+" (make build-all)")
	}
	if bi.Path != MixboxMain {
		return "", hint(bad(fmt.Errorf("%s is a build of %s, not of mixbox (%s)", what, bi.Path, MixboxMain)),
			"pass a mixbox built for "+p.String()+" (make build-all)")
	}
	return VersionOf(bi), nil
}

// VersionOf is the mixbox version a build carries: its module version when
// built as a dependency, the VCS revision when built from a checkout, else
// "dev".
func VersionOf(bi *buildinfo.BuildInfo) string {
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
