package image

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"runtime"
	"sort"
	"strings"
)

// Platform is an image platform, os/arch[/variant], e.g. linux/arm64.
type Platform struct {
	OS, Arch, Variant string
}

// String returns the platform as os/arch[/variant].
func (p Platform) String() string {
	s := p.OS + "/" + p.Arch
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// arch is what mixbox knows of a Go architecture: the ELF header its Linux
// binaries carry and whether wazero has a compiler for it.
type arch struct {
	machine  elf.Machine
	class    elf.Class
	order    binary.ByteOrder
	variants []string // accepted variants; the first is the default (may be "")
	compiles bool     // wazero compiles for it (else it interprets)
}

// arches are the Linux architectures Go builds mixbox for.
func arches() map[string]arch {
	le, be := binary.ByteOrder(binary.LittleEndian), binary.ByteOrder(binary.BigEndian)
	return map[string]arch{
		"amd64":   {machine: elf.EM_X86_64, class: elf.ELFCLASS64, order: le, variants: []string{""}, compiles: true},
		"arm64":   {machine: elf.EM_AARCH64, class: elf.ELFCLASS64, order: le, variants: []string{"", "v8"}, compiles: true},
		"arm":     {machine: elf.EM_ARM, class: elf.ELFCLASS32, order: le, variants: []string{"v7", "v6", "v5"}},
		"386":     {machine: elf.EM_386, class: elf.ELFCLASS32, order: le, variants: []string{""}},
		"ppc64le": {machine: elf.EM_PPC64, class: elf.ELFCLASS64, order: le, variants: []string{""}},
		"s390x":   {machine: elf.EM_S390, class: elf.ELFCLASS64, order: be, variants: []string{""}},
		"riscv64": {machine: elf.EM_RISCV, class: elf.ELFCLASS64, order: le, variants: []string{""}},
	}
}

// KnownPlatforms lists the platforms ParsePlatform accepts, for messages.
func KnownPlatforms() []string {
	var out []string
	for name := range arches() {
		out = append(out, "linux/"+name)
	}
	sort.Strings(out)
	return out
}

// ParsePlatform parses os/arch[/variant]. Only linux platforms with a Go
// port are known; an arm64 variant v8 is dropped (it is the only one).
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Platform{}, bad(fmt.Errorf("platform %q: want os/arch[/variant], e.g. linux/amd64", s))
	}
	p := Platform{OS: parts[0], Arch: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	a, ok := arches()[p.Arch]
	if p.OS != "linux" || !ok {
		return Platform{}, hint(bad(fmt.Errorf("unknown platform %q", s)),
			"an invocation image runs Linux; known platforms: "+strings.Join(KnownPlatforms(), ", "))
	}
	if p.Arch == "arm64" && p.Variant == "v8" {
		p.Variant = ""
	}
	if p.Variant == "" {
		p.Variant = a.variants[0]
	}
	known := false
	for _, v := range a.variants {
		known = known || v == p.Variant
	}
	if !known {
		return Platform{}, hint(bad(fmt.Errorf("unknown platform %q: no variant %q of %s", s, p.Variant, p.Arch)),
			"variants of "+p.Arch+": "+strings.Join(nonEmpty(a.variants), ", "))
	}
	return p, nil
}

// HostPlatform is the platform of this process, the only one wazero can
// compile for here.
func HostPlatform() Platform {
	p := Platform{OS: runtime.GOOS, Arch: runtime.GOARCH}
	if a, ok := arches()[p.Arch]; ok && p.OS == "linux" {
		p.Variant = a.variants[0]
	}
	return p
}

// canPrecompile reports whether this host can fill p's compiled-module
// cache: wazero compiles only for the architecture it runs on.
func canPrecompile(p Platform) bool {
	h := HostPlatform()
	return p.OS == h.OS && p.Arch == h.Arch && arches()[p.Arch].compiles
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
