package policy

import (
	"maps"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/manifest"
)

// ExecSteps reads what the default policy grants the exec mixin from the
// manifest's exec steps, every action included: their commands, env keys,
// dirs and path outputs, as written (unrendered).
func ExecSteps(m *manifest.Manifest) []ExecStep {
	var out []ExecStep
	for _, action := range m.Actions() {
		steps, err := m.Steps(action)
		if err != nil {
			continue
		}
		for _, s := range steps {
			if s.Mixin != ExecMixin || s.Node == nil {
				continue
			}
			var doc map[string]execStepDoc
			if err := s.Node.Decode(&doc); err != nil {
				continue // the step fails its own way when it runs
			}
			out = append(out, doc[ExecMixin].grant())
		}
	}
	return out
}

// SecretEnv returns the env keys through which the manifest's secrets reach
// commands, each with what it carries: the env destination of every
// credential ("credential NAME") and of every sensitive parameter that has
// no path destination ("sensitive parameter NAME"; its env is Porter's
// default name when it declares none).
func SecretEnv(m *manifest.Manifest) map[string]string {
	out := map[string]string{}
	for _, c := range m.Credentials {
		if c.Env != "" {
			out[c.Env] = "credential " + c.Name
		}
	}
	for _, p := range m.Parameters {
		if p.Sensitive && p.Path == "" {
			out[p.EnvVar()] = "sensitive parameter " + p.Name
		}
	}
	return out
}

// RenderedExecStep reads the grant of a rendered exec step from the stdin
// its mixin gets ({action: [{exec: {...}}]}).
func RenderedExecStep(stdin []byte) (ExecStep, bool) {
	var doc map[string][]map[string]execStepDoc
	if err := yaml.Unmarshal(stdin, &doc); err != nil {
		return ExecStep{}, false
	}
	for _, steps := range doc {
		for _, s := range steps {
			if d, ok := s[ExecMixin]; ok {
				return d.grant(), true
			}
		}
	}
	return ExecStep{}, false
}

// execStepDoc is what the default policy reads of an exec step.
type execStepDoc struct {
	Command string            `yaml:"command"`
	Dir     string            `yaml:"dir"`
	Envs    map[string]string `yaml:"envs"`
	Outputs []struct {
		Path string `yaml:"path"`
	} `yaml:"outputs"`
}

func (d execStepDoc) grant() ExecStep {
	es := ExecStep{Command: d.Command, Dir: d.Dir, EnvKeys: slices.Sorted(maps.Keys(d.Envs))}
	for _, o := range d.Outputs {
		if o.Path != "" {
			es.PathOutputs = append(es.PathOutputs, o.Path)
		}
	}
	return es
}
