package tmpl

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/cbroglie/mustache"
	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/manifest"
)

// Result is a rendered step, ready for its mixin.
type Result struct {
	// Step is the unrendered step.
	Step manifest.Step
	// Mixin is the mixin that runs the step.
	Mixin string
	// Description is the rendered description, possibly empty; the runtime
	// prints it before running the step.
	Description string
	// Rendered is the rendered step, {<mixin>: {...}}, re-typed by YAML.
	Rendered map[string]any
	// Stdin is the mixin's stdin: {<action>: [<rendered step>]} as YAML.
	Stdin []byte
	// Sensitive are the values to mask while the step runs.
	Sensitive []Secret
}

// RenderStep builds the data for step and renders it. Errors name the
// action and the 1-based step number.
func RenderStep(ctx context.Context, in Input, step manifest.Step) (*Result, error) {
	data, err := BuildData(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("render %s step %d: %w", step.Action, step.Index, err)
	}
	rendered, err := Render(in.Manifest, step, data.Values)
	if err != nil {
		return nil, err
	}
	stdin, err := MarshalStdin(step.Action, rendered)
	if err != nil {
		return nil, fmt.Errorf("render %s step %d: %w", step.Action, step.Index, err)
	}
	mixin := step.Mixin
	for k := range rendered {
		mixin = k
	}
	return &Result{
		Step:        step,
		Mixin:       mixin,
		Description: Description(rendered),
		Rendered:    rendered,
		Stdin:       stdin,
		Sensitive:   data.Sensitive,
	}, nil
}

// Render renders step with values (a Data.Values) and re-parses the result
// as YAML. A missing variable is an error wrapping ErrMissingVariable that
// names the variable; YAML broken by rendering wraps ErrInvalidRenderedYAML.
func Render(m *manifest.Manifest, step manifest.Step, values map[string]any) (out map[string]any, err error) {
	where := fmt.Sprintf("render %s step %d", step.Action, step.Index)
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%s: %w: unexpected template content (%v)", where, ErrInvalidTemplate, r)
		}
	}()
	prefix := ""
	if m != nil {
		prefix = m.TemplatePrefix()
	}
	t, err := manifest.ParseTemplate(prefix + step.Template)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", where, ErrInvalidTemplate, err)
	}
	root := reflect.ValueOf(values)
	if err := checkVariables(t.Tags(), []reflect.Value{root}); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	var buf bytes.Buffer
	if err := t.FRender(&buf, values); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", where, ErrInvalidTemplate, err)
	}
	var parsed any
	if err := yaml.Unmarshal(buf.Bytes(), &parsed); err != nil {
		return nil, fmt.Errorf("%s: %w: %w; quote the templated value in porter.yaml (line %d)",
			where, ErrInvalidRenderedYAML, unquoted(err), step.Line())
	}
	out, ok := manifest.Normalize(parsed).(map[string]any)
	if !ok || len(out) != 1 {
		return nil, fmt.Errorf("%s: %w: the step must stay a mapping with one mixin", where, ErrInvalidRenderedYAML)
	}
	return out, nil
}

// unquoted returns err, a yaml.v3 error on the rendered step, with what it
// quotes of the document left out: an anchor's or a key's name, a value's
// first characters. Rendered, the step holds secrets, and a part of one
// (an anchor named by a value that starts with '*') is not masked. The
// result unwraps to err.
func unquoted(err error) error {
	quoted := regexp.MustCompile("'[^']*'|`[^`]*`|\"(?:[^\"\\\\]|\\\\.)*\"")
	text := quoted.ReplaceAllString(err.Error(), "(…)")
	if text == err.Error() {
		return err
	}
	return &unquotedError{text: text, err: err}
}

// unquotedError is an error whose text leaves out what its cause quotes.
type unquotedError struct {
	text string
	err  error
}

func (e *unquotedError) Error() string { return e.text }
func (e *unquotedError) Unwrap() error { return e.err }

// Description returns the description of a rendered step, or "".
func Description(rendered map[string]any) string {
	for _, body := range rendered {
		if b, ok := body.(map[string]any); ok {
			if d, ok := b["description"].(string); ok {
				return d
			}
		}
	}
	return ""
}

// MarshalStdin marshals a rendered step as its mixin's stdin, as Porter's
// ActionInput does: {<action>: [<step>]}, yaml.v3, 2-space indent, keys sorted.
func MarshalStdin(action string, rendered map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]any{action: []any{rendered}}); err != nil {
		return nil, fmt.Errorf("marshal step input: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal step input: %w", err)
	}
	return buf.Bytes(), nil
}

// checkVariables walks the template's tags as mustache renders them and
// fails on the first variable that is missing, naming it in full. It
// mirrors mustache's lookup so that the package-level
// mustache.AllowMissingVariables never needs to change.
func checkVariables(tags []mustache.Tag, chain []reflect.Value) error {
	for _, tag := range tags {
		switch tag.Type() {
		case mustache.Variable:
			if _, ok := lookup(chain, tag.Name()); !ok {
				return fmt.Errorf("%w %q", ErrMissingVariable, tag.Name())
			}
		case mustache.Section:
			v, _ := lookup(chain, tag.Name())
			if isEmpty(v) {
				continue
			}
			var contexts []reflect.Value
			switch iv := indirect(v); iv.Kind() {
			case reflect.Slice, reflect.Array:
				for i := 0; i < iv.Len(); i++ {
					contexts = append(contexts, iv.Index(i))
				}
			case reflect.Func:
				continue
			default:
				contexts = append(contexts, v)
			}
			for _, c := range contexts {
				if err := checkVariables(tag.Tags(), append([]reflect.Value{c}, chain...)); err != nil {
					return err
				}
			}
		case mustache.InvertedSection:
			v, _ := lookup(chain, tag.Name())
			if !isEmpty(v) {
				continue
			}
			if err := checkVariables(tag.Tags(), append([]reflect.Value{chain[0]}, chain...)); err != nil {
				return err
			}
		case mustache.Partial:
			return fmt.Errorf("%w: template partial %q is not supported", ErrInvalidTemplate, tag.Name())
		}
	}
	return nil
}

// lookup mirrors mustache's variable lookup (dot notation, context chain).
func lookup(chain []reflect.Value, name string) (reflect.Value, bool) {
	if name != "." && strings.Contains(name, ".") {
		first, rest, _ := strings.Cut(name, ".")
		v, ok := lookup(chain, first)
		if !ok {
			return v, false
		}
		return lookup([]reflect.Value{v}, rest)
	}
outer:
	for _, ctx := range chain {
		v := ctx
		for v.IsValid() {
			typ := v.Type()
			for i := 0; i < typ.NumMethod(); i++ {
				if mt := typ.Method(i); mt.Name == name && mt.Type.NumIn() == 1 && mt.Type.NumOut() > 0 {
					return v.Method(i).Call(nil)[0], true
				}
			}
			if name == "." {
				return v, true
			}
			switch v.Kind() {
			case reflect.Pointer, reflect.Interface:
				v = v.Elem()
			case reflect.Struct:
				if f := v.FieldByName(name); f.IsValid() {
					return f, true
				}
				continue outer
			case reflect.Map:
				if v.Type().Key().Kind() != reflect.String {
					continue outer
				}
				if r := v.MapIndex(reflect.ValueOf(name).Convert(v.Type().Key())); r.IsValid() {
					return r, true
				}
				continue outer
			default:
				continue outer
			}
		}
	}
	return reflect.Value{}, false
}

func isEmpty(v reflect.Value) bool {
	if !v.IsValid() || !v.CanInterface() || v.Interface() == nil {
		return true
	}
	iv := indirect(v)
	if !iv.IsValid() {
		return true
	}
	switch iv.Kind() {
	case reflect.Array, reflect.Slice:
		return iv.Len() == 0
	case reflect.String:
		return strings.TrimSpace(iv.String()) == ""
	}
	return iv.IsZero()
}

func indirect(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		v = v.Elem()
	}
	return v
}
