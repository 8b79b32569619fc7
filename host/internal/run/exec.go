package run

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/modules"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/wasm"
	"github.com/mixbox/mixbox/wasmabi"
)

// policy returns the operator's policy (Config.PolicyFile), else the default
// policy of the manifest.
func (s *session) policy(b *bundle) (*policy.Policy, error) {
	if s.cfg.PolicyFile == "" {
		return policy.Default(policy.ExecSteps(b.m), policy.SecretEnv(b.m)), nil
	}
	data, err := os.ReadFile(s.cfg.PolicyFile)
	if err != nil {
		return nil, errkind.WithHint(fmt.Errorf("%w: read policy: %w", errkind.ErrUsage, err), "pass a readable policy file")
	}
	pol, err := policy.Parse(data)
	if err != nil {
		return nil, errkind.WithHint(fmt.Errorf("%w: policy %s: %w", errkind.ErrUsage, s.cfg.PolicyFile, err),
			"fix the policy file; its format is in docs/spec/policy.md")
	}
	return pol, nil
}

// mixinPolicy is what one wasm mixin is granted.
func mixinPolicy(name string, mod *wasm.Module, pol *policy.Policy) policy.Mixin {
	var caps wasmabi.Capabilities
	if md := mod.Info().Metadata; md != nil {
		caps = md.Capabilities
	}
	return pol.ForModule(name, caps)
}

// execState is what a run keeps for its wasm mixins' exec calls: the
// recorder or replayer, and the grants of the exec steps rendered so far.
type execState struct {
	replayFile string
	recorder   *hostexec.Recorder
	replayer   *hostexec.Replayer
	grants     *renderedGrants
}

// newExecState prepares the recorder or the replayer of a run. maskText
// and maskStream mask what the recording holds: requests and results of
// mixins, masked with every value of the run; maskStream for the captures
// kept in files, streamed.
func newExecState(cfg Config, maskText func(string) string, maskStream func(io.Writer) hostexec.MaskWriter) (*execState, error) {
	x := &execState{replayFile: cfg.ReplayExec, grants: &renderedGrants{}}
	if cfg.RecordExec != "" {
		x.recorder = hostexec.NewRecorder(hostexec.RecorderOptions{
			Path:       cfg.RecordExec,
			Mask:       maskText,
			MaskStream: maskStream,
		})
	}
	if cfg.ReplayExec != "" {
		data, err := os.ReadFile(cfg.ReplayExec)
		if err != nil {
			return nil, errkind.WithHint(fmt.Errorf("%w: %w", errkind.ErrUsage, errkind.Of(errkind.ErrReplay, fmt.Errorf("read the exec replay file: %w", err))),
				"pass a file written by a recorded run")
		}
		entries, err := hostexec.ParseEntries(data)
		if err != nil {
			return nil, errkind.WithHint(fmt.Errorf("%w: %w", errkind.ErrUsage, errkind.Of(errkind.ErrReplay, fmt.Errorf("exec replay file %s: %w", cfg.ReplayExec, err))),
				"the file holds an exec: list as a recorded run writes it")
		}
		x.replayer = hostexec.NewReplayer(entries)
	}
	return x, nil
}

// end writes the recording, if any.
func (x *execState) end() error {
	if x.recorder == nil {
		return nil
	}
	defer x.recorder.Close()
	if err := x.recorder.Flush(); err != nil {
		return fmt.Errorf("write the exec recording: %w", err)
	}
	return nil
}

// replayErr returns the replay mismatches of the run so far, if any.
func (x *execState) replayErr() error {
	if x.replayer == nil {
		return nil
	}
	if err := x.replayer.Err(); err != nil {
		return errkind.Of(errkind.ErrReplay, fmt.Errorf("the exec calls differ from %s: %w", x.replayFile, err))
	}
	return nil
}

// replayUnused returns an error when the replay file has calls the run
// did not make.
func (x *execState) replayUnused() error {
	if x.replayer == nil {
		return nil
	}
	unused := x.replayer.Unused()
	if len(unused) == 0 {
		return nil
	}
	return errkind.WithHint(fmt.Errorf("%w: %w", errkind.ErrStep, errkind.Of(errkind.ErrReplay,
		fmt.Errorf("the run made fewer exec calls than %s holds: %d left, the first %s", x.replayFile, len(unused), unused[0]))),
		"record the run again, or remove the calls it no longer makes")
}

// executor runs one wasm mixin's exec calls: for real under its policy, or
// answered from the replay file (still under the policy), recorded when
// asked. Under the default policy the exec mixin's grants also take in what
// its rendered steps name (a templated command), step by step.
func (s *session) executor(name string, mp policy.Mixin, pol *policy.Policy, b *bundle, env []string) hostexec.Executor {
	pe := &policyExec{mp: mp, env: env, root: s.paths.root, logger: s.deps.Logger, replayer: s.exec.replayer, mask: s.maskAll}
	var exe hostexec.Executor = pe
	if pol.Default && name == policy.ExecMixin {
		exe = &withRendered{base: policy.ExecSteps(b.m), grants: s.exec.grants, next: *pe}
	}
	if s.exec.recorder != nil {
		exe = s.exec.recorder.Wrap(exe)
	}
	return s.watch.watched(exe)
}

// policyExec runs calls under one mixin policy, for real or from the replay.
type policyExec struct {
	mp       policy.Mixin
	env      []string
	root     string
	logger   *slog.Logger
	replayer *hostexec.Replayer
	mask     func(string) string // as the recording was masked
}

func (p *policyExec) Exec(ctx context.Context, c hostexec.Call) (wasmabi.ExecResult, error) {
	if r := p.replayer; r != nil {
		// A recording masks secrets in args: match them masked too.
		if e, ok := r.Next(); ok && !e.Match(c.Request.Command, c.Request.Args) {
			masked := make([]string, len(c.Request.Args))
			for i, a := range c.Request.Args {
				masked[i] = p.mask(a)
			}
			if e.Match(c.Request.Command, masked) {
				c.Request.Args = masked
			}
		}
		return hostexec.Checked(p.mp, r).Exec(ctx, c)
	}
	return hostexec.New(hostexec.Options{Policy: p.mp, Env: p.env, Root: p.root, Logger: p.logger}).Exec(ctx, c)
}

// withRendered is the exec mixin's executor under the default policy: the
// grants of the manifest's exec steps plus those of the steps rendered so
// far in this run.
type withRendered struct {
	base   []policy.ExecStep
	grants *renderedGrants
	next   policyExec
}

func (w *withRendered) Exec(ctx context.Context, c hostexec.Call) (wasmabi.ExecResult, error) {
	pe := w.next
	pe.mp = policy.Default(append(slices.Clone(w.base), w.grants.all()...), nil).For(policy.ExecMixin)
	return pe.Exec(ctx, c)
}

// renderedGrants are the grants of the exec steps a run has rendered.
type renderedGrants struct {
	mu    sync.Mutex
	steps []policy.ExecStep
}

// addRendered adds the grant of a rendered exec step, read from its stdin.
func (g *renderedGrants) addRendered(stdin []byte) {
	es, ok := policy.RenderedExecStep(stdin)
	if !ok {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.steps = append(g.steps, es)
}

func (g *renderedGrants) all() []policy.ExecStep {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.steps)
}

// nativeExecCheck is called for a mixin that runs natively: its commands do
// not pass through mixbox, so a replay cannot answer them (an error, before
// anything runs) and a recording holds none of them (a warning).
func (s *session) nativeExecCheck(name string) error {
	nativePath := s.mixinPath(name, "")
	if s.cfg.ReplayExec != "" {
		hint := fmt.Sprintf("install its wasm build as %s (a Go mixin on mixbox's SDK builds with GOOS=wasip1 GOARCH=wasm go build -o %s-runtime.wasm), then replay with the wasm form winning", s.mixinPath(name, ".wasm"), name)
		if where := s.wasmForm(name); where != "" {
			hint = fmt.Sprintf("its wasm form (%s) can be replayed: let the wasm form win over the native one", where)
		}
		err := fmt.Errorf("%w: mixin %s runs natively (%s), which runs its commands itself; nothing was run", errkind.ErrNativeReplay, name, nativePath)
		return errkind.WithHint(errkind.Of(errkind.ErrUsage, errkind.Of(errkind.ErrReplay, err)), hint)
	}
	if s.cfg.RecordExec != "" {
		s.log.warn("mixin %s runs natively (%s): the exec recording %s holds none of its commands, which do not pass through mixbox", name, nativePath, s.cfg.RecordExec)
	}
	return nil
}

// wasmForm says where mixin's wasm form is (installed or built in), "" when
// it has none.
func (s *session) wasmForm(name string) string {
	if p := s.mixinPath(name, ".wasm"); fileExists(p) {
		return p
	}
	if len(s.deps.BuiltIns[name]) > 0 {
		return modules.BuiltInWhere(name)
	}
	return ""
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}
