package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/internal/environ"
)

// checkInputs checks the parameters and credentials of the run as a CNAB
// driver does before it starts the invocation image (docs/spec/cli.md,
// "When mixbox plays the driver's part"): every name given exists, and
// every value given fits its parameter's type and constraints; in a local
// run (a root) also that every parameter without a default and every
// required credential of the action has a value. It returns one error
// listing every problem, before anything runs. Values are never quoted: a
// parameter's may be a secret.
func (s *session) checkInputs(b *bundle) error {
	if _, err := b.steps(s.cfg.Action); err != nil {
		return err // an action the manifest does not define: nothing to check against
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	action := s.cfg.Action
	for _, name := range slices.Sorted(maps.Keys(s.cfg.Params)) {
		p, ok := b.m.Parameter(name)
		if !ok {
			add("parameter %s: the manifest has no such parameter (parameters: %s)", name, strings.Join(paramNames(b.m), ", "))
			continue
		}
		if msg := fits(p, s.cfg.Params[name]); msg != "" {
			add("parameter %s%s: %s %s", name, typeNote(p.Type), shown(p, s.cfg.Params[name]), msg)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.cfg.Creds)) {
		if _, ok := credential(b.m, name); !ok {
			hint := ""
			if _, isParam := b.m.Parameter(name); isParam {
				hint = "; " + name + " is a parameter"
			}
			add("credential %s: the manifest has no such credential (credentials: %s)%s", name, strings.Join(credNames(b.m), ", "), hint)
		}
	}
	if s.paths.isRooted() {
		for _, p := range b.m.Parameters {
			if !p.AppliesTo(action) || p.Name == "porter-state" {
				continue
			}
			if _, given := s.cfg.Params[p.Name]; given {
				continue
			}
			v, set := s.destination(p.Path, p.EnvVar())
			switch {
			case set && p.Path == "":
				if msg := fits(p, v); msg != "" {
					add("parameter %s%s: %s (from $%s) %s", p.Name, typeNote(p.Type), shown(p, v), p.EnvVar(), msg)
				}
			case set:
			case p.Source.Output != "" || p.Source.Dependency != "":
				// Wired from an output: the value comes from an earlier run, if any.
			case !p.HasDefault || p.Default == nil:
				add("parameter %s%s has no default and was given no value", p.Name, typeNote(p.Type))
			}
		}
		for _, c := range b.m.Credentials {
			if !c.Required || !c.AppliesTo(action) {
				continue
			}
			if _, given := s.cfg.Creds[c.Name]; given {
				continue
			}
			if _, set := s.destination(c.Path, c.Env); !set {
				add("credential %s is required and was given no value", c.Name)
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	what := "a problem"
	if len(problems) > 1 {
		what = strconv.Itoa(len(problems)) + " problems"
	}
	err := fmt.Errorf("the %s action cannot start: %s with its parameters and credentials, nothing was run:\n  %s",
		action, what, strings.Join(problems, "\n  "))
	return errkind.Of(errkind.ErrUsage, errkind.Of(errkind.ErrInputs, err))
}

// destination returns the value already at a parameter's or credential's
// destination: its env var in mixbox's environment, else (a file
// destination) whether the file is there.
func (s *session) destination(path, envVar string) (string, bool) {
	if envVar != "" && path == "" {
		return environ.Lookup(s.cfg.Env, envVar)
	}
	if path != "" {
		if _, err := os.Stat(s.paths.onHost(path)); err == nil {
			return "", true
		}
	}
	if envVar != "" {
		return environ.Lookup(s.cfg.Env, envVar)
	}
	return "", false
}

// shown is how a problem names a value: quoted, short, unless it is
// sensitive.
func shown(p manifest.Parameter, v string) string {
	if p.Sensitive {
		return "the value"
	}
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	return strconv.Quote(v)
}

func typeNote(t string) string {
	if t == "" {
		return ""
	}
	return " (" + t + ")"
}

// fits says why v, a value as a driver passes it (a string verbatim,
// another type as JSON), does not fit p's type and constraints ("is not an
// integer"), or "".
func fits(p manifest.Parameter, v string) string {
	var val any
	switch p.Type {
	case "integer":
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return "is not an integer"
		}
		val = float64(n)
	case "number":
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return "is not a number"
		}
		val = f
	case "boolean":
		switch strings.TrimSpace(v) {
		case "true":
			val = true
		case "false":
			val = false
		default:
			return "is not a boolean (true or false)"
		}
	case "object", "array":
		if err := json.Unmarshal([]byte(v), &val); err != nil {
			return fmt.Sprintf("is not JSON (%s)", jsonProblem(err))
		}
		if _, isObj := val.(map[string]any); p.Type == "object" && !isObj {
			return "is JSON but not an object"
		}
		if _, isArr := val.([]any); p.Type == "array" && !isArr {
			return "is JSON but not an array"
		}
	default:
		val = v
	}
	if f, ok := val.(float64); ok {
		if msg := inRange(p, f); msg != "" {
			return msg
		}
	}
	if len(p.Enum) > 0 && !slices.ContainsFunc(p.Enum, func(e any) bool { return reflect.DeepEqual(asJSON(e), val) }) {
		opts := make([]string, len(p.Enum))
		for i, e := range p.Enum {
			opts[i] = driverValue(e, true)
		}
		return "is not one of " + strings.Join(opts, ", ")
	}
	return ""
}

// inRange checks a number against p's minimum and maximum.
func inRange(p manifest.Parameter, f float64) string {
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch {
	case p.Minimum != nil && f < *p.Minimum:
		return "is below the minimum " + num(*p.Minimum)
	case p.Maximum != nil && f > *p.Maximum:
		return "is above the maximum " + num(*p.Maximum)
	case p.ExclusiveMinimum != nil && f <= *p.ExclusiveMinimum:
		return "is not above the exclusive minimum " + num(*p.ExclusiveMinimum)
	case p.ExclusiveMaximum != nil && f >= *p.ExclusiveMaximum:
		return "is not below the exclusive maximum " + num(*p.ExclusiveMaximum)
	}
	return ""
}

// asJSON is v as encoding/json decodes it (numbers float64), to compare an
// enum value with a given one.
func asJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

// jsonProblem words a JSON syntax error without quoting the value.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid at byte %d", se.Offset)
	}
	return "it does not decode"
}
