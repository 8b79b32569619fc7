package policy

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// file* are the YAML shapes of the policy file, for Marshal.
type fileDoc struct {
	APIVersion string               `yaml:"apiVersion"`
	Native     Native               `yaml:"native"`
	Defaults   fileLimits           `yaml:"defaults"`
	Mixins     map[string]fileMixin `yaml:"mixins,omitempty"`
}

type fileLimits struct {
	Memory       string `yaml:"memory,omitempty"`
	StepTimeout  string `yaml:"stepTimeout,omitempty"`
	ExecTimeout  string `yaml:"execTimeout,omitempty"`
	ExecCalls    int    `yaml:"execCalls,omitempty"`
	CaptureBytes string `yaml:"captureBytes,omitempty"`
	LogBytes     string `yaml:"logBytes,omitempty"`
	OutputBytes  string `yaml:"outputBytes,omitempty"`
	Outputs      int    `yaml:"outputs,omitempty"`
}

type fileMixin struct {
	Exec       []fileGrant `yaml:"exec,omitempty"`
	Env        []string    `yaml:"env,omitempty"`
	Mount      *bool       `yaml:"mount,omitempty"`
	InheritEnv bool        `yaml:"inheritEnv,omitempty"`
	Mounts     []string    `yaml:"mounts,omitempty"`
	Dirs       []string    `yaml:"dirs,omitempty"`
	fileLimits `yaml:",inline"`
}

type fileGrant struct {
	Command string   `yaml:"command,omitempty"`
	Path    string   `yaml:"path,omitempty"`
	Args    []string `yaml:"args,omitempty"`
}

// Marshal returns p in the policy file format (what `mixbox run
// --print-policy` prints): every default, and per mixin its grants and the
// limits that differ from the defaults. Parse(Marshal(p)) gives back p's
// effective policy.
func (p *Policy) Marshal() ([]byte, error) {
	if p == nil {
		p = &Policy{}
	}
	defaults := p.Defaults.Or(Builtin())
	native := p.Native
	if native == "" {
		native = NativeAllow
	}
	doc := fileDoc{APIVersion: APIVersion, Native: native, Defaults: limitsFile(defaults, Limits{})}
	if len(p.Mixins) > 0 {
		doc.Mixins = map[string]fileMixin{}
	}
	for name, m := range p.Mixins {
		doc.Mixins[name] = mixinFile(m, defaults)
	}
	return marshalYAML(doc)
}

// MarshalMixin returns the lines of a policy file that grant mixin m (its
// limits taken as Builtin's): `mixins:` and the mixin's block, what an
// operator adds to a policy to grant it.
func MarshalMixin(name string, m Mixin) ([]byte, error) {
	return marshalYAML(struct {
		Mixins map[string]fileMixin `yaml:"mixins"`
	}{map[string]fileMixin{name: mixinFile(m, Builtin())}})
}

// mixinFile returns m in the file format, with the limits that differ from
// defaults.
func mixinFile(m Mixin, defaults Limits) fileMixin {
	fm := fileMixin{
		Env:        m.Env,
		InheritEnv: m.InheritEnv,
		Mounts:     m.Mounts,
		Dirs:       m.Dirs,
		fileLimits: limitsFile(m.Limits.Or(defaults), defaults),
	}
	if !m.Mount {
		fm.Mount = new(bool)
	}
	for _, g := range m.Exec {
		fm.Exec = append(fm.Exec, fileGrant(g))
	}
	return fm
}

func marshalYAML(doc any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("marshal policy: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal policy: %w", err)
	}
	return buf.Bytes(), nil
}

// limitsFile returns the fields of l that differ from base (all of them for
// a zero base).
func limitsFile(l, base Limits) fileLimits {
	var f fileLimits
	if l.Memory != base.Memory {
		f.Memory = FormatSize(l.Memory)
	}
	if l.StepTimeout != base.StepTimeout {
		f.StepTimeout = formatDuration(l.StepTimeout)
	}
	if l.ExecTimeout != base.ExecTimeout {
		f.ExecTimeout = formatDuration(l.ExecTimeout)
	}
	if l.ExecCalls != base.ExecCalls {
		f.ExecCalls = l.ExecCalls
	}
	if l.CaptureBytes != base.CaptureBytes {
		f.CaptureBytes = FormatSize(l.CaptureBytes)
	}
	if l.LogBytes != base.LogBytes {
		f.LogBytes = FormatSize(l.LogBytes)
	}
	if l.OutputBytes != base.OutputBytes {
		f.OutputBytes = FormatSize(l.OutputBytes)
	}
	if l.Outputs != base.Outputs {
		f.Outputs = l.Outputs
	}
	return f
}

// FormatSize formats n bytes with the largest of Gi, Mi, Ki that divides
// it, as ParseSize reads it.
func FormatSize(n int64) string {
	for _, u := range []struct {
		shift  uint
		suffix string
	}{{30, "Gi"}, {20, "Mi"}, {10, "Ki"}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// formatDuration formats d in Go syntax without zero trailing units
// ("30m", not "30m0s").
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
