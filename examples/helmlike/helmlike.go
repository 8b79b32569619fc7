package helmlike

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/wasmabi"
	"github.com/mixbox/mixbox/wasmabi/guest"
)

// Name is the mixin's name: the key of its steps and argv[0].
const Name = "helmlike"

// version is set at build time: -ldflags "-X github.com/mixbox/mixbox/examples/helmlike.version=v1.0.0".
var version = "dev"

// Sentinel errors of the mixin.
var (
	// ErrStep is a step the mixin cannot run: bad YAML, a missing field.
	ErrStep = errors.New("invalid helmlike step")
	// ErrCommand is a command that ran and failed.
	ErrCommand = errors.New("command failed")
)

// Step is one helmlike step of porter.yaml, already rendered by the runtime.
type Step struct {
	Description string            `yaml:"description"`
	Name        string            `yaml:"name"`
	Chart       string            `yaml:"chart"`
	Version     string            `yaml:"version"`
	Namespace   string            `yaml:"namespace"`
	Set         map[string]string `yaml:"set"`
	Values      []string          `yaml:"values"`
	Wait        bool              `yaml:"wait"`
	ReuseValues bool              `yaml:"reuseValues"`
	// Releases are more releases to remove on uninstall, after Name.
	Releases []string `yaml:"releases"`
	Outputs  []Output `yaml:"outputs"`
}

// Output is a step output: either a key of a Kubernetes secret (Secret and
// Key) or a dotted field of the release's `helm status -o json`
// (StatusField, such as "version" or "info.status").
type Output struct {
	Name        string `yaml:"name"`
	Secret      string `yaml:"secret"`
	Key         string `yaml:"key"`
	StatusField string `yaml:"statusField"`
}

// Run is the mixin's entry point for guest.Main.
func Run(ctx context.Context, h guest.Host, inv guest.Invocation) error {
	switch inv.Command {
	case "install", "upgrade", "uninstall":
		s, err := LoadStep(inv.Action, inv.Input)
		if err != nil {
			return err
		}
		return Execute(ctx, h, inv.Action, s, inv.Stdout)
	case "invoke":
		return fmt.Errorf("%w: custom action %q: helmlike only runs install, upgrade and uninstall", ErrStep, inv.Action)
	case "version":
		_, err := fmt.Fprintf(inv.Stdout, "%s %s\n", Name, version)
		return err
	}
	return fmt.Errorf("unknown command %q for %s", inv.Command, Name)
}

// LoadStep decodes the stdin of an action, {ACTION: [{helmlike: Step}]},
// and checks the step.
func LoadStep(action string, input []byte) (Step, error) {
	var in map[string][]map[string]Step
	if err := yaml.Unmarshal(input, &in); err != nil {
		return Step{}, fmt.Errorf("%w: decode: %w", ErrStep, err)
	}
	steps := in[action]
	if len(steps) != 1 {
		return Step{}, fmt.Errorf("%w: expected a single %s step, got %d", ErrStep, action, len(steps))
	}
	s, ok := steps[0][Name]
	if !ok {
		return Step{}, fmt.Errorf("%w: the step is not a %s step", ErrStep, Name)
	}
	if s.Name == "" {
		return Step{}, fmt.Errorf("%w: name is required (the release name)", ErrStep)
	}
	if action != "uninstall" && s.Chart == "" {
		return Step{}, fmt.Errorf("%w: chart is required to %s release %s", ErrStep, action, s.Name)
	}
	for _, o := range s.Outputs {
		secret := o.Secret != "" || o.Key != ""
		switch {
		case o.Name == "":
			return Step{}, fmt.Errorf("%w: an output has no name", ErrStep)
		case secret && (o.Secret == "" || o.Key == ""):
			return Step{}, fmt.Errorf("%w: output %s: give both secret and key", ErrStep, o.Name)
		case secret == (o.StatusField != ""):
			return Step{}, fmt.Errorf("%w: output %s: give either secret and key, or statusField", ErrStep, o.Name)
		}
	}
	return s, nil
}

// Args returns the helm command line of a step for an action.
func (s Step) Args(action string) []string {
	if action == "uninstall" {
		args := append([]string{"uninstall", s.Name}, s.Releases...)
		return append(args, s.namespace()...)
	}
	args := []string{"upgrade", "--install", s.Name, s.Chart}
	args = append(args, s.namespace()...)
	if action == "install" {
		args = append(args, "--create-namespace")
	}
	if s.Version != "" {
		args = append(args, "--version", s.Version)
	}
	if s.Wait {
		args = append(args, "--wait")
	}
	if s.ReuseValues && action == "upgrade" {
		args = append(args, "--reuse-values")
	}
	for _, f := range s.Values {
		args = append(args, "--values", f)
	}
	// Sorted, so that the same step always gives the same command line.
	for _, k := range slices.Sorted(maps.Keys(s.Set)) {
		args = append(args, "--set", k+"="+s.Set[k])
	}
	return args
}

func (s Step) namespace() []string {
	if s.Namespace == "" {
		return nil
	}
	return []string{"--namespace", s.Namespace}
}

// Execute runs a step: its values files must exist in the bundle, then helm
// runs, then each output is read.
func Execute(ctx context.Context, h guest.Host, action string, s Step, stdout io.Writer) error {
	if stdout == nil {
		stdout = io.Discard
	}
	for _, f := range s.Values {
		if _, err := h.Stat(f); err != nil {
			return fmt.Errorf("%w: values file: %w", ErrStep, err)
		}
	}
	args := s.Args(action)
	_, _ = fmt.Fprintf(stdout, "helm %s\n", strings.Join(args, " "))
	if _, err := run(ctx, h, "helm", args, true); err != nil {
		return err
	}
	if action == "uninstall" {
		return nil
	}
	var status map[string]any // helm status, fetched once when an output needs it
	for _, o := range s.Outputs {
		var value string
		var err error
		if o.Secret != "" {
			value, err = secretValue(ctx, h, s, o)
		} else {
			if status == nil {
				status, err = releaseStatus(ctx, h, s)
				if err != nil {
					return err
				}
			}
			value, err = field(status, o.StatusField)
		}
		if err != nil {
			return fmt.Errorf("output %s: %w", o.Name, err)
		}
		if err := h.SetOutput(o.Name, []byte(value)); err != nil {
			return fmt.Errorf("output %s: %w", o.Name, err)
		}
	}
	return nil
}

// run runs one command and returns its stdout; a non-zero exit is an error
// that carries the command's stderr.
func run(ctx context.Context, h guest.Host, command string, args []string, stream bool) (string, error) {
	res, err := h.Exec(ctx, wasmabi.ExecRequest{Command: command, Args: args, Stream: &stream})
	line := strings.Join(append([]string{command}, args...), " ")
	switch {
	case errors.Is(err, wasmabi.EDenied):
		return "", fmt.Errorf("run %s: %w; grant %s to the %s mixin in the policy file (mixbox run --policy)", line, err, command, Name)
	case errors.Is(err, wasmabi.ENotFound):
		return "", fmt.Errorf("run %s: %w; install %s on the host", line, err, command)
	case err != nil:
		return "", fmt.Errorf("run %s: %w", line, err)
	case res.TimedOut:
		return "", fmt.Errorf("run %s: %w: timed out", line, ErrCommand)
	case res.ExitCode != 0:
		return "", fmt.Errorf("run %s: %w with exit code %d: %s", line, ErrCommand, res.ExitCode, strings.TrimSpace(res.Stderr))
	}
	return res.Stdout, nil
}

// secretValue reads `kubectl get secret SECRET -o json` without printing it,
// decodes .data[KEY] and masks it (and its base64 form) before returning it.
func secretValue(ctx context.Context, h guest.Host, s Step, o Output) (string, error) {
	args := append([]string{"get", "secret", o.Secret}, s.namespace()...)
	out, err := run(ctx, h, "kubectl", append(args, "-o", "json"), false)
	if err != nil {
		return "", err
	}
	var secret struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &secret); err != nil {
		return "", fmt.Errorf("decode secret %s: %w", o.Secret, err)
	}
	enc, ok := secret.Data[o.Key]
	if !ok {
		return "", fmt.Errorf("secret %s has no key %q", o.Secret, o.Key)
	}
	if err := h.Mask(enc); err != nil {
		return "", err
	}
	val, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "", fmt.Errorf("decode key %q of secret %s: %w", o.Key, o.Secret, err)
	}
	if err := h.Mask(string(val)); err != nil {
		return "", err
	}
	return string(val), nil
}

// releaseStatus reads `helm status NAME -o json`.
func releaseStatus(ctx context.Context, h guest.Host, s Step) (map[string]any, error) {
	args := append([]string{"status", s.Name}, s.namespace()...)
	out, err := run(ctx, h, "helm", append(args, "-o", "json"), false)
	if err != nil {
		return nil, err
	}
	var status map[string]any
	if err := json.Unmarshal([]byte(out), &status); err != nil {
		return nil, fmt.Errorf("decode helm status of %s: %w", s.Name, err)
	}
	return status, nil
}

// field returns a dotted field of a JSON document: strings as they are,
// anything else as compact JSON.
func field(doc map[string]any, dotted string) (string, error) {
	var v any = doc
	for _, k := range strings.Split(dotted, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "", fmt.Errorf("helm status has no field %q", dotted)
		}
		if v, ok = m[k]; !ok {
			return "", fmt.Errorf("helm status has no field %q", dotted)
		}
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode field %q: %w", dotted, err)
	}
	return string(b), nil
}
