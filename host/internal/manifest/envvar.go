package manifest

import (
	"strings"
)

// EnvVar returns the environment variable that carries the parameter's
// value: its `env:`, else ParamToEnvVar(name).
func (p Parameter) EnvVar() string {
	if p.Env != "" {
		return p.Env
	}
	return ParamToEnvVar(p.Name)
}

// ParamToEnvVar converts a parameter name to Porter's default environment
// variable: upper case, with '-' and '.' replaced by '_'.
func ParamToEnvVar(name string) string {
	return strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(name))
}

// OutputEnvVar is the variable through which Porter injects the value of a
// templated bundle output from a previous run: PORTER_<NAME>_OUTPUT.
func OutputEnvVar(output string) string {
	return ParamToEnvVar("porter-" + output + "-output")
}

// DependencyOutputEnvVar is the variable through which Porter injects a
// dependency's output: PORTER_<ALIAS>_<OUTPUT>_DEP_OUTPUT.
func DependencyOutputEnvVar(alias, output string) string {
	return ParamToEnvVar("porter-" + alias + "-" + output + "-dep-output")
}
