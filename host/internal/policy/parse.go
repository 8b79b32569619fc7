package policy

import (
	"errors"
	"fmt"
	"math"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/yamlnode"
)

// Parse parses a policy file (docs/spec/policy.md). Omitted defaults take
// the Builtin limits, omitted `native` is allow, omitted `mount` is true, and
// each mixin's Limits are its overrides merged with the defaults.
//
// An unknown key, a bad size, duration, number or regex, a relative path in
// `path`, `mounts` or `dirs`, or a wrong apiVersion is an error wrapping
// ErrInvalid that names the line and the key.
func Parse(data []byte) (*Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	p := &Policy{Native: NativeAllow, Mixins: map[string]Mixin{}}
	overrides := map[string]Limits{}
	if len(doc.Content) > 0 {
		if err := parseTop(doc.Content[0], p, overrides); err != nil {
			return nil, asInvalid(err)
		}
	}
	p.Defaults = p.Defaults.Or(Builtin())
	for name, m := range p.Mixins {
		m.Limits = overrides[name].Or(p.Defaults)
		p.Mixins[name] = m
	}
	return p, nil
}

// ParseMixin parses one mixin's block of a policy (the value of
// `mixins.NAME`, or a mixin-test case's `policy:`), as Parse does. Omitted
// `mount` is true, and the block's limits are merged with Builtin. key names
// the block in errors ("policy"); every error is an *InvalidError with the
// line.
func ParseMixin(n *yaml.Node, key string) (Mixin, error) {
	m, over, err := parseMixin(n, key)
	if err != nil {
		return Mixin{}, asInvalid(err)
	}
	m.Limits = over.Or(Builtin())
	return m, nil
}

// asInvalid turns the *yamlnode.Error of the parse into an *InvalidError.
func asInvalid(err error) error {
	var ye *yamlnode.Error
	if !errors.As(err, &ye) {
		return fmt.Errorf("%w: %w", ErrInvalid, err) // not reached: every parse error is a yamlnode.Error
	}
	msg := ye.Msg
	if ye.Err != nil {
		msg += ": " + ye.Err.Error()
	}
	return &InvalidError{Line: ye.Line, Key: ye.Key, Msg: msg}
}

// Keys of a policy, for the errors about unknown keys.
const (
	topKeys   = "apiVersion, native, defaults, mixins"
	limitKeys = "memory, stepTimeout, execTimeout, execCalls, captureBytes, logBytes, outputBytes, outputs"
	mixinKeys = "exec, env, mount, inheritEnv, mounts, dirs, " + limitKeys
	grantKeys = "command, path, args"
)

// strs reads a list of strings; an empty list grants as much as none, and
// is nil so that a printed policy parses back to the same value.
func strs(n *yaml.Node, key string) ([]string, error) {
	list, err := yamlnode.Strs(n, key)
	if len(list) == 0 {
		list = nil
	}
	return list, err
}

func absPaths(n *yaml.Node, key string) ([]string, error) {
	list, err := strs(n, key)
	if err != nil {
		return nil, err
	}
	for i, p := range list {
		if !path.IsAbs(p) {
			return nil, yamlnode.Errorf(yamlnode.Deref(n).Content[i], yamlnode.Index(key, i), "%q is not an absolute path", p)
		}
		list[i] = path.Clean(p)
	}
	return list, nil
}

func parseTop(n *yaml.Node, p *Policy, overrides map[string]Limits) error {
	return yamlnode.Mapping(n, "", func(k string, kn, v *yaml.Node) error {
		switch k {
		case "apiVersion":
			s, err := yamlnode.Str(v, k)
			if err != nil {
				return err
			}
			if s != APIVersion {
				return yamlnode.Errorf(v, k, "want %s, got %q", APIVersion, s)
			}
		case "native":
			s, err := yamlnode.Str(v, k)
			if err != nil {
				return err
			}
			switch Native(s) {
			case NativeAllow, NativeDeny:
				p.Native = Native(s)
			default:
				return yamlnode.Errorf(v, k, "want allow or deny, got %q", s)
			}
		case "defaults":
			return yamlnode.Mapping(v, k, func(lk string, lkn, lv *yaml.Node) error {
				ok, err := limit(lk, lv, yamlnode.Join(k, lk), &p.Defaults)
				if err == nil && !ok {
					err = yamlnode.Unknown(lkn, yamlnode.Join(k, lk), limitKeys)
				}
				return err
			})
		case "mixins":
			return yamlnode.Mapping(v, k, func(name string, nkn, mv *yaml.Node) error {
				if name == "" {
					return yamlnode.Errorf(nkn, k, "a mixin name is empty")
				}
				m, over, err := parseMixin(mv, yamlnode.Join(k, name))
				if err != nil {
					return err
				}
				p.Mixins[name] = m
				overrides[name] = over
				return nil
			})
		default:
			return yamlnode.Unknown(kn, k, topKeys)
		}
		return nil
	})
}

func parseMixin(n *yaml.Node, key string) (Mixin, Limits, error) {
	m := Mixin{Mount: true}
	var over Limits
	err := yamlnode.Mapping(n, key, func(k string, kn, v *yaml.Node) error {
		full := yamlnode.Join(key, k)
		var err error
		switch k {
		case "exec":
			m.Exec, err = parseGrants(v, full)
		case "env":
			m.Env, err = strs(v, full)
		case "mount":
			m.Mount, err = yamlnode.Bool(v, full)
		case "inheritEnv":
			m.InheritEnv, err = yamlnode.Bool(v, full)
		case "mounts":
			m.Mounts, err = absPaths(v, full)
		case "dirs":
			m.Dirs, err = absPaths(v, full)
		default:
			var ok bool
			ok, err = limit(k, v, full, &over)
			if err == nil && !ok {
				err = yamlnode.Unknown(kn, full, mixinKeys)
			}
		}
		return err
	})
	return m, over, err
}

func parseGrants(n *yaml.Node, key string) ([]ExecGrant, error) {
	if yamlnode.IsNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, yamlnode.Errorf(n, key, "want a list of {command, path, args}, got %s", yamlnode.KindName(n))
	}
	var out []ExecGrant
	for i, e := range n.Content {
		e = yamlnode.Deref(e)
		ekey := yamlnode.Index(key, i)
		var g ExecGrant
		if e.Kind == yaml.ScalarNode && !yamlnode.IsNull(e) {
			g.Command = e.Value // shorthand: a bare command
		} else if err := yamlnode.Mapping(e, ekey, func(k string, kn, v *yaml.Node) error {
			full := yamlnode.Join(ekey, k)
			var err error
			switch k {
			case "command":
				g.Command, err = yamlnode.Str(v, full)
			case "path":
				if g.Path, err = yamlnode.Str(v, full); err == nil {
					if !path.IsAbs(g.Path) {
						return yamlnode.Errorf(v, full, "%q is not an absolute path", g.Path)
					}
					g.Path = path.Clean(g.Path)
				}
			case "args":
				if g.Args, err = strs(v, full); err == nil {
					for j, re := range g.Args {
						if _, cerr := regexp.Compile(anchor(re)); cerr != nil {
							return &yamlnode.Error{Line: yamlnode.Deref(v.Content[j]).Line, Key: yamlnode.Index(full, j), Msg: fmt.Sprintf("bad regex %q", re), Err: cerr}
						}
					}
				}
			default:
				err = yamlnode.Unknown(kn, full, grantKeys)
			}
			return err
		}); err != nil {
			return nil, err
		}
		if g.Command == "" && g.Path == "" {
			return nil, yamlnode.Errorf(e, ekey, "a grant needs a command or a path")
		}
		out = append(out, g)
	}
	return out, nil
}

// anchor makes re match a whole arg.
func anchor(re string) string { return "^(?:" + re + ")$" }

// limit parses the limit k into l; ok is false for a key that is not a limit.
func limit(k string, v *yaml.Node, key string, l *Limits) (ok bool, err error) {
	switch k {
	case "memory":
		l.Memory, err = size(v, key)
	case "captureBytes":
		l.CaptureBytes, err = size(v, key)
	case "logBytes":
		l.LogBytes, err = size(v, key)
	case "outputBytes":
		l.OutputBytes, err = size(v, key)
	case "stepTimeout":
		l.StepTimeout, err = duration(v, key)
	case "execTimeout":
		l.ExecTimeout, err = duration(v, key)
	case "execCalls":
		l.ExecCalls, err = count(v, key)
	case "outputs":
		l.Outputs, err = count(v, key)
	default:
		return false, nil
	}
	return true, err
}

// size parses a positive byte size: digits with an optional Ki, Mi or Gi.
func size(n *yaml.Node, key string) (int64, error) {
	s, err := yamlnode.Str(n, key)
	if err != nil {
		return 0, err
	}
	v, ok := ParseSize(s)
	if !ok {
		return 0, yamlnode.Errorf(n, key, "bad size %q: want a positive whole number of bytes with an optional Ki, Mi or Gi, such as 256Mi", s)
	}
	return v, nil
}

// ParseSize parses a positive byte size such as 1048576, 64Ki, 256Mi or 2Gi.
func ParseSize(s string) (int64, bool) {
	shift := 0
	for suffix, sh := range map[string]int{"Ki": 10, "Mi": 20, "Gi": 30} {
		if strings.HasSuffix(s, suffix) {
			s, shift = strings.TrimSuffix(s, suffix), sh
			break
		}
	}
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v > math.MaxInt64>>shift {
		return 0, false
	}
	return v << shift, true
}

func duration(n *yaml.Node, key string) (time.Duration, error) {
	s, err := yamlnode.Str(n, key)
	if err != nil {
		return 0, err
	}
	d, perr := time.ParseDuration(s)
	if perr != nil || d <= 0 {
		return 0, yamlnode.Errorf(n, key, "bad duration %q: want a positive Go duration such as 90s or 15m", s)
	}
	return d, nil
}

func count(n *yaml.Node, key string) (int, error) {
	s, err := yamlnode.Str(n, key)
	if err != nil {
		return 0, err
	}
	v, perr := strconv.ParseInt(s, 10, 32)
	if perr != nil || v <= 0 {
		return 0, yamlnode.Errorf(n, key, "bad number %q: want a positive whole number", s)
	}
	return int(v), nil
}
