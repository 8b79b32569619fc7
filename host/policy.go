package host

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/wasm"
	"github.com/mixbox/mixbox/wasmabi"
)

// policy returns the operator's policy (Options.PolicyFile), else the
// default policy of the manifest.
func (rt *Runtime) policy(b *bundle) (*policy.Policy, error) {
	if rt.opts.PolicyFile == "" {
		return policy.Default(execSteps(b)), nil
	}
	data, err := os.ReadFile(rt.opts.PolicyFile)
	if err != nil {
		return nil, withHint(fmt.Errorf("%w: read policy: %w", ErrUsage, err), "pass a readable policy file with --policy or MIXBOX_POLICY")
	}
	pol, err := policy.Parse(data)
	if err != nil {
		return nil, withHint(fmt.Errorf("%w: policy %s: %w", ErrUsage, rt.opts.PolicyFile, err), "fix the policy file; its format is in shared/spec/policy.md")
	}
	return pol, nil
}

// mixinPolicy is what one wasm mixin is granted.
func (rt *Runtime) mixinPolicy(name string, mod *wasm.Module, pol *policy.Policy) policy.Mixin {
	var caps wasmabi.Capabilities
	if md := mod.Info().Metadata; md != nil {
		caps = md.Capabilities
	}
	return pol.ForModule(name, caps)
}

// execSteps reads what the default policy needs from the manifest's exec
// steps, every action included: commands, env keys, dirs, path outputs.
func execSteps(b *bundle) []policy.ExecStep {
	var out []policy.ExecStep
	for _, action := range b.m.Actions() {
		steps, err := b.m.Steps(action)
		if err != nil {
			continue
		}
		for _, s := range steps {
			if s.Mixin != policy.ExecMixin || s.Node == nil {
				continue
			}
			var doc map[string]execStepDoc
			if err := s.Node.Decode(&doc); err != nil {
				continue // the step fails its own way when it runs
			}
			out = append(out, doc[policy.ExecMixin].grant())
		}
	}
	return out
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

func (d execStepDoc) grant() policy.ExecStep {
	es := policy.ExecStep{Command: d.Command, Dir: d.Dir, EnvKeys: sortedKeys(d.Envs)}
	for _, o := range d.Outputs {
		if o.Path != "" {
			es.PathOutputs = append(es.PathOutputs, o.Path)
		}
	}
	return es
}

// renderedExecStep reads the grant of a rendered exec step from the stdin
// its mixin gets ({action: [{exec: {...}}]}).
func renderedExecStep(stdin []byte) (policy.ExecStep, bool) {
	var doc map[string][]map[string]execStepDoc
	if err := yaml.Unmarshal(stdin, &doc); err != nil {
		return policy.ExecStep{}, false
	}
	for _, steps := range doc {
		for _, s := range steps {
			if d, ok := s[policy.ExecMixin]; ok {
				return d.grant(), true
			}
		}
	}
	return policy.ExecStep{}, false
}

// PrintPolicy writes the effective policy of the run, in the policy file
// format: the operator's, or the default one built from the manifest and the
// capabilities the installed wasm mixins declare.
func (rt *Runtime) PrintPolicy(ctx context.Context, w io.Writer) error {
	b, err := rt.loadBundle(ctx)
	if err != nil {
		return err
	}
	pol, err := rt.policy(b)
	if err != nil {
		return err
	}
	out := *pol
	out.Mixins = map[string]policy.Mixin{}
	for _, m := range b.m.Mixins {
		mp := pol.For(m.Name)
		if bin, err := os.ReadFile(rt.mixinPath(m.Name, ".wasm")); err == nil {
			if lm, err := rt.wasm.load(ctx, m.Name, m.Name, bin); err == nil {
				mp = rt.mixinPolicy(m.Name, lm.mod, pol)
			}
		}
		out.Mixins[m.Name] = mp
	}
	data, err := out.Marshal()
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// executor runs one wasm mixin's exec calls: for real under its policy, or
// answered from the replay file (still under the policy), recorded when
// asked. Under the default policy the exec mixin's grants also take in what
// its rendered steps name (a templated command), step by step.
func (rt *Runtime) executor(name string, mp policy.Mixin, pol *policy.Policy, b *bundle, env []string) hostexec.Executor {
	var exe hostexec.Executor = &policyExec{rt: rt, mp: mp, env: env}
	if pol.Default && name == policy.ExecMixin {
		exe = &renderedGrants{rt: rt, base: execSteps(b), env: env}
	}
	if rt.cur.recorder != nil {
		exe = rt.cur.recorder.Wrap(exe)
	}
	return exe
}

// policyExec runs calls under one mixin policy, for real or from the replay.
type policyExec struct {
	rt  *Runtime
	mp  policy.Mixin
	env []string
}

func (p *policyExec) Exec(ctx context.Context, c hostexec.Call) (wasmabi.ExecResult, error) {
	if r := p.rt.cur.replayer; r != nil {
		// A recording masks secrets in args: match them masked too.
		if e, ok := r.Next(); ok && !e.Match(c.Request.Command, c.Request.Args) {
			masked := make([]string, len(c.Request.Args))
			for i, a := range c.Request.Args {
				masked[i] = p.rt.maskString(a)
			}
			if e.Match(c.Request.Command, masked) {
				c.Request.Args = masked
			}
		}
		return hostexec.Checked(p.mp, r).Exec(ctx, c)
	}
	return hostexec.New(hostexec.Options{Policy: p.mp, Env: p.env, Root: p.rt.paths.root, Logger: p.rt.logger}).Exec(ctx, c)
}

// renderedGrants is the exec mixin's executor under the default policy: the
// grants of the manifest's exec steps plus those of the steps rendered so
// far in this run.
type renderedGrants struct {
	rt   *Runtime
	base []policy.ExecStep
	env  []string
}

func (r *renderedGrants) Exec(ctx context.Context, c hostexec.Call) (wasmabi.ExecResult, error) {
	pol := policy.Default(append(slices.Clone(r.base), r.rt.cur.rendered...))
	pe := &policyExec{rt: r.rt, mp: pol.For(policy.ExecMixin), env: r.env}
	return pe.Exec(ctx, c)
}

// runState is what one Run keeps besides its log: the exec recorder or
// replayer of --record-exec / --replay-exec.
type runState struct {
	recorder *hostexec.Recorder
	replayer *hostexec.Replayer
	rendered []policy.ExecStep // grants of the exec steps rendered so far
}

// startRun prepares the recorder or the replayer of a run.
func (rt *Runtime) startRun() error {
	rt.cur = runState{}
	if rt.opts.RecordExec != "" {
		rt.cur.recorder = hostexec.NewRecorder(hostexec.RecorderOptions{Path: rt.opts.RecordExec, Mask: rt.maskString})
	}
	if rt.opts.ReplayExec != "" {
		data, err := os.ReadFile(rt.opts.ReplayExec)
		if err != nil {
			return withHint(fmt.Errorf("%w: read --replay-exec file: %w", ErrUsage, err), "pass a file written by --record-exec")
		}
		entries, err := hostexec.ParseEntries(data)
		if err != nil {
			return withHint(fmt.Errorf("%w: --replay-exec %s: %w", ErrUsage, rt.opts.ReplayExec, err), "the file holds an exec: list as written by --record-exec")
		}
		rt.cur.replayer = hostexec.NewReplayer(entries)
	}
	return nil
}

// endRun writes the recording, if any.
func (rt *Runtime) endRun() error {
	if rt.cur.recorder == nil {
		return nil
	}
	if err := rt.cur.recorder.Flush(); err != nil {
		return fmt.Errorf("write --record-exec file: %w", err)
	}
	return nil
}

// replayErr returns the replay mismatches of the run, if any.
func (rt *Runtime) replayErr() error {
	if rt.cur.replayer == nil {
		return nil
	}
	return rt.cur.replayer.Err()
}

// replayUnused returns an error when the replay file has calls the run
// did not make.
func (rt *Runtime) replayUnused() error {
	if rt.cur.replayer == nil {
		return nil
	}
	unused := rt.cur.replayer.Unused()
	if len(unused) == 0 {
		return nil
	}
	return withHint(fmt.Errorf("%w: the run made fewer exec calls than --replay-exec %s holds: %d left, the first %s",
		ErrStep, rt.opts.ReplayExec, len(unused), unused[0]), "record the run again with --record-exec, or remove the calls it no longer makes")
}
