package policy

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
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
			return nil, err
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
		return Mixin{}, err
	}
	m.Limits = over.Or(Builtin())
	return m, nil
}

// invalid returns an *InvalidError for node n at key.
func invalid(n *yaml.Node, key, format string, args ...any) error {
	return &InvalidError{Line: n.Line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

// mapping calls f for each key of the mapping n (null is an empty mapping),
// refusing duplicate keys.
func mapping(n *yaml.Node, key string, f func(k string, kn, v *yaml.Node) error) error {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return invalid(n, key, "want a mapping, got %s", kindName(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := deref(n.Content[i]), deref(n.Content[i+1])
		if kn.Kind != yaml.ScalarNode {
			return invalid(kn, key, "want a string key, got %s", kindName(kn))
		}
		full := kn.Value
		if key != "" {
			full = key + "." + kn.Value
		}
		if seen[kn.Value] {
			return invalid(kn, full, "duplicate key")
		}
		seen[kn.Value] = true
		if err := f(kn.Value, kn, v); err != nil {
			return err
		}
	}
	return nil
}

// Keys of a policy, for the errors about unknown keys.
const (
	topKeys   = "apiVersion, native, defaults, mixins"
	limitKeys = "memory, stepTimeout, execTimeout, execCalls, captureBytes, logBytes, outputBytes, outputs"
	mixinKeys = "exec, env, mount, inheritEnv, mounts, dirs, " + limitKeys
	grantKeys = "command, path, args"
)

func unknown(kn *yaml.Node, key, known string) error {
	return invalid(kn, key, "unknown key %q (want one of: %s)", kn.Value, known)
}

func join(key, k string) string {
	if key == "" {
		return k
	}
	return key + "." + k
}

func str(n *yaml.Node, key string) (string, error) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		return "", invalid(n, key, "want a string, got %s", kindNameOrNull(n))
	}
	return n.Value, nil
}

func kindNameOrNull(n *yaml.Node) string {
	if isNull(n) {
		return "null"
	}
	return kindName(n)
}

func strs(n *yaml.Node, key string) ([]string, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, invalid(n, key, "want a list of strings, got %s", kindName(n))
	}
	var out []string
	for i, e := range n.Content {
		s, err := str(deref(e), fmt.Sprintf("%s[%d]", key, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func absPaths(n *yaml.Node, key string) ([]string, error) {
	list, err := strs(n, key)
	if err != nil {
		return nil, err
	}
	for i, p := range list {
		if !path.IsAbs(p) {
			return nil, invalid(deref(n.Content[i]), fmt.Sprintf("%s[%d]", key, i), "%q is not an absolute path", p)
		}
		list[i] = path.Clean(p)
	}
	return list, nil
}

func boolean(n *yaml.Node, key string) (bool, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, nil
		}
	}
	return false, invalid(n, key, "want true or false, got %s", kindNameOrNull(n))
}

func parseTop(n *yaml.Node, p *Policy, overrides map[string]Limits) error {
	return mapping(n, "", func(k string, kn, v *yaml.Node) error {
		switch k {
		case "apiVersion":
			s, err := str(v, k)
			if err != nil {
				return err
			}
			if s != APIVersion {
				return invalid(v, k, "want %s, got %q", APIVersion, s)
			}
		case "native":
			s, err := str(v, k)
			if err != nil {
				return err
			}
			switch Native(s) {
			case NativeAllow, NativeDeny:
				p.Native = Native(s)
			default:
				return invalid(v, k, "want allow or deny, got %q", s)
			}
		case "defaults":
			return mapping(v, k, func(lk string, lkn, lv *yaml.Node) error {
				ok, err := limit(lk, lv, join(k, lk), &p.Defaults)
				if err == nil && !ok {
					err = unknown(lkn, join(k, lk), limitKeys)
				}
				return err
			})
		case "mixins":
			return mapping(v, k, func(name string, nkn, mv *yaml.Node) error {
				if name == "" {
					return invalid(nkn, k, "a mixin name is empty")
				}
				m, over, err := parseMixin(mv, join(k, name))
				if err != nil {
					return err
				}
				p.Mixins[name] = m
				overrides[name] = over
				return nil
			})
		default:
			return unknown(kn, k, topKeys)
		}
		return nil
	})
}

func parseMixin(n *yaml.Node, key string) (Mixin, Limits, error) {
	m := Mixin{Mount: true}
	var over Limits
	err := mapping(n, key, func(k string, kn, v *yaml.Node) error {
		full := join(key, k)
		var err error
		switch k {
		case "exec":
			m.Exec, err = parseGrants(v, full)
		case "env":
			m.Env, err = strs(v, full)
		case "mount":
			m.Mount, err = boolean(v, full)
		case "inheritEnv":
			m.InheritEnv, err = boolean(v, full)
		case "mounts":
			m.Mounts, err = absPaths(v, full)
		case "dirs":
			m.Dirs, err = absPaths(v, full)
		default:
			var ok bool
			ok, err = limit(k, v, full, &over)
			if err == nil && !ok {
				err = unknown(kn, full, mixinKeys)
			}
		}
		return err
	})
	return m, over, err
}

func parseGrants(n *yaml.Node, key string) ([]ExecGrant, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, invalid(n, key, "want a list of {command, path, args}, got %s", kindName(n))
	}
	var out []ExecGrant
	for i, e := range n.Content {
		e = deref(e)
		ekey := fmt.Sprintf("%s[%d]", key, i)
		var g ExecGrant
		if e.Kind == yaml.ScalarNode && !isNull(e) {
			g.Command = e.Value // shorthand: a bare command
		} else if err := mapping(e, ekey, func(k string, kn, v *yaml.Node) error {
			full := join(ekey, k)
			var err error
			switch k {
			case "command":
				g.Command, err = str(v, full)
			case "path":
				if g.Path, err = str(v, full); err == nil {
					if !path.IsAbs(g.Path) {
						return invalid(v, full, "%q is not an absolute path", g.Path)
					}
					g.Path = path.Clean(g.Path)
				}
			case "args":
				if g.Args, err = strs(v, full); err == nil {
					for j, re := range g.Args {
						if _, cerr := regexp.Compile(anchor(re)); cerr != nil {
							return invalid(deref(v.Content[j]), fmt.Sprintf("%s[%d]", full, j), "bad regex %q: %s", re, cerr.Error())
						}
					}
				}
			default:
				err = unknown(kn, full, grantKeys)
			}
			return err
		}); err != nil {
			return nil, err
		}
		if g.Command == "" && g.Path == "" {
			return nil, invalid(e, ekey, "a grant needs a command or a path")
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
	s, err := str(n, key)
	if err != nil {
		return 0, err
	}
	v, ok := ParseSize(s)
	if !ok {
		return 0, invalid(n, key, "bad size %q: want a positive whole number of bytes with an optional Ki, Mi or Gi, such as 256Mi", s)
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
	s, err := str(n, key)
	if err != nil {
		return 0, err
	}
	d, perr := time.ParseDuration(s)
	if perr != nil || d <= 0 {
		return 0, invalid(n, key, "bad duration %q: want a positive Go duration such as 90s or 15m", s)
	}
	return d, nil
}

func count(n *yaml.Node, key string) (int, error) {
	s, err := str(n, key)
	if err != nil {
		return 0, err
	}
	v, perr := strconv.ParseInt(s, 10, 32)
	if perr != nil || v <= 0 {
		return 0, invalid(n, key, "bad number %q: want a positive whole number", s)
	}
	return int(v), nil
}
