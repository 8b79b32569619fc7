package host

import (
	"context"
	"fmt"
	"io"
	"os"

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
			var doc map[string]struct {
				Command string            `yaml:"command"`
				Dir     string            `yaml:"dir"`
				Envs    map[string]string `yaml:"envs"`
				Outputs []struct {
					Path string `yaml:"path"`
				} `yaml:"outputs"`
			}
			if err := s.Node.Decode(&doc); err != nil {
				continue // the step fails its own way when it runs
			}
			st := doc[policy.ExecMixin]
			es := policy.ExecStep{Command: st.Command, Dir: st.Dir}
			es.EnvKeys = append(es.EnvKeys, sortedKeys(st.Envs)...)
			for _, o := range st.Outputs {
				if o.Path != "" {
					es.PathOutputs = append(es.PathOutputs, o.Path)
				}
			}
			out = append(out, es)
		}
	}
	return out
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
// asked.
func (rt *Runtime) executor(mp policy.Mixin, env []string) hostexec.Executor {
	var exe hostexec.Executor
	if rt.cur.replayer != nil {
		exe = hostexec.Checked(mp, rt.cur.replayer)
	} else {
		exe = hostexec.New(hostexec.Options{Policy: mp, Env: env, Root: rt.paths.root, Logger: rt.logger})
	}
	if rt.cur.recorder != nil {
		exe = rt.cur.recorder.Wrap(exe)
	}
	return exe
}

// runState is what one Run keeps besides its log: the exec recorder or
// replayer of --record-exec / --replay-exec.
type runState struct {
	recorder *hostexec.Recorder
	replayer *hostexec.Replayer
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
