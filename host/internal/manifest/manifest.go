package manifest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Core actions of every bundle.
const (
	ActionInstall   = "install"
	ActionUpgrade   = "upgrade"
	ActionUninstall = "uninstall"
)

// Manifest is a parsed porter.yaml.
type Manifest struct {
	// Path is the file the manifest was loaded from; empty after Parse.
	Path string

	SchemaType    string
	SchemaVersion string
	Name          string
	Version       string
	Description   string
	Registry      string
	Reference     string
	Dockerfile    string

	Mixins       []MixinDecl
	Parameters   []Parameter
	Credentials  []Credential
	Outputs      []Output
	State        []StateVar
	Dependencies []Dependency
	// Images maps an image alias to its definition (`images:`).
	Images map[string]Image
	// Custom is the `custom:` section; nested maps are map[string]any.
	Custom map[string]any
	// CustomActions holds the `customActions:` definitions (metadata only;
	// the steps of a custom action are returned by Steps).
	CustomActions map[string]CustomAction

	// TemplateVariables are the mustache variables used at the top level of
	// the manifest, sorted and unique, e.g. "bundle.outputs.msg".
	TemplateVariables []string

	// actions maps every action (core and custom) to its steps.
	actions map[string][]Step
}

// Actions returns the names of every action with steps, sorted.
func (m *Manifest) Actions() []string {
	out := make([]string, 0, len(m.actions))
	for a := range m.actions {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// CustomActionNames returns the custom actions (every action but install,
// upgrade and uninstall), sorted.
func (m *Manifest) CustomActionNames() []string {
	var out []string
	for _, a := range m.Actions() {
		if !IsCoreAction(a) {
			out = append(out, a)
		}
	}
	return out
}

// IsCoreAction reports whether action is install, upgrade or uninstall.
func IsCoreAction(action string) bool {
	return action == ActionInstall || action == ActionUpgrade || action == ActionUninstall
}

// Steps returns the steps of action. An action missing from the manifest is
// an error wrapping ErrUnknownAction that lists the custom actions defined.
func (m *Manifest) Steps(action string) ([]Step, error) {
	steps, ok := m.actions[action]
	if !ok {
		if action == "upgrade" {
			return []Step{}, nil // optional in Porter: an upgrade with no steps
		}
		if IsCoreAction(action) {
			return nil, fmt.Errorf("%w: action %q is not defined in the manifest; add an %s: section", ErrUnknownAction, action, action)
		}
		custom := m.CustomActionNames()
		list := strings.Join(custom, ", ")
		if list == "" {
			list = "(none)"
		}
		return nil, fmt.Errorf("%w: unsupported action %q, custom actions are defined for: %s", ErrUnknownAction, action, list)
	}
	return slices.Clone(steps), nil
}

// Parameter returns the parameter called name.
func (m *Manifest) Parameter(name string) (Parameter, bool) {
	for _, p := range m.Parameters {
		if p.Name == name {
			return p, true
		}
	}
	return Parameter{}, false
}

// Output returns the bundle output called name.
func (m *Manifest) Output(name string) (Output, bool) {
	for _, o := range m.Outputs {
		if o.Name == name {
			return o, true
		}
	}
	return Output{}, false
}

// Mixin returns the declaration of the mixin called name.
func (m *Manifest) Mixin(name string) (MixinDecl, bool) {
	for _, d := range m.Mixins {
		if d.Name == name {
			return d, true
		}
	}
	return MixinDecl{}, false
}
