package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/host/internal/mask"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/state"
	"github.com/mixbox/mixbox/host/internal/step"
)

// session is one run: everything it keeps from start to end. It is created
// by Run and passed down; nothing of it outlives the run.
type session struct {
	cfg   Config
	deps  Deps
	paths paths
	set   *mask.Set // the run's sensitive values
	log   *runLog
	exec  *execState // recorder, replayer and rendered grants
}

// newSession checks cfg and fills its defaults.
func newSession(cfg Config, deps Deps) (*session, error) {
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Root != "" {
		fi, err := os.Stat(cfg.Root)
		if err != nil {
			return nil, errkind.WithHint(fmt.Errorf("%w: %w", errkind.ErrUsage, errkind.Of(errkind.ErrRoot, fmt.Errorf("cnab root: %w", err))),
				"make the directory and put the bundle at DIR/cnab/app")
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%w: %w", errkind.ErrUsage, errkind.Of(errkind.ErrRoot, fmt.Errorf("cnab root %s is not a directory", cfg.Root)))
		}
	}
	s := &session{cfg: cfg, deps: deps, paths: newPaths(cfg.Root), set: mask.NewSet()}
	s.log = newRunLog(cfg.JSONLog, s.set, cfg.Stdout, cfg.Stderr)
	return s, nil
}

// Run runs cfg's action. Whatever happens after the manifest was loaded and
// the state unpacked, outputs produced so far and porter-state are written
// before Run returns. The error's text is masked.
func Run(ctx context.Context, deps Deps, cfg Config) (Report, error) {
	start := time.Now()
	s, err := newSession(cfg, deps)
	if err != nil {
		return Report{}, err
	}
	rep, err := s.run(ctx)
	rep.Duration = time.Since(start)
	if rep.Steps > 0 || err == nil {
		s.log.done(rep.Ran, rep.Steps, rep.Duration, err)
	}
	s.log.flush()
	return rep, s.maskErr(err)
}

// maskErr returns err with the run's sensitive values masked in its text,
// keeping the chain.
func (s *session) maskErr(err error) error {
	if err == nil {
		return nil
	}
	return errkind.Masked(err, s.set.String(err.Error()))
}

func (s *session) run(ctx context.Context) (Report, error) {
	var rep Report
	if s.cfg.Action == "" {
		return rep, fmt.Errorf("%w: %w", errkind.ErrUsage, errkind.ErrNoAction)
	}
	b, err := s.loadBundle()
	if err != nil {
		return rep, err
	}
	env, err := s.prepareEnv(b)
	if err != nil {
		return rep, err
	}
	exec, err := newExecState(s.cfg, s.set)
	if err != nil {
		return rep, err
	}
	s.exec = exec
	// As Porter: the banner, then bundle.json, the action and the mixins.
	s.log.banner(s.cfg.Action, lookup(env, "CNAB_BUNDLE_NAME"), lookup(env, "CNAB_INSTALLATION_NAME"))
	if err := s.loadDefinitions(ctx, b); err != nil {
		return rep, err
	}
	p, err := s.plan(ctx, b, env)
	if err != nil {
		return rep, err
	}
	defer p.close(context.WithoutCancel(ctx))
	rep.Steps = len(p.steps)

	if err := s.initialize(b); err != nil {
		return rep, err
	}
	rep.Outputs = map[string][]byte{}
	runErr := s.runSteps(ctx, b, p, env, &rep)
	finErr := s.finalize(b, rep.Outputs)
	return rep, errors.Join(runErr, finErr, s.exec.end())
}

func (s *session) runSteps(ctx context.Context, b *bundle, p *plan, env []string, rep *Report) error {
	action := s.cfg.Action
	n := len(p.steps)
	envm := envMap(env)
	for i, ps := range p.steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %s step %d not started: %w", errkind.ErrStep, action, i+1, context.Cause(ctx))
		}
		in, sensitive, err := b.render(ctx, action, ps.step, envm, rep.Outputs)
		s.set.Add(sensitive...)
		if err != nil {
			return err
		}
		if ps.step.Mixin == policy.ExecMixin {
			s.exec.grants.addRendered(in.Stdin)
		}
		s.log.description(i+1, n, in.Description)
		in.Index = i + 1
		sio := step.IO{Stdout: s.log.stdout, Stderr: s.log.stderr, Mask: func(v string) { s.set.Add(v) }, Debug: s.cfg.Debug}
		began := time.Now()
		res, stepErr := ps.runner.Run(ctx, in, sio)
		replayErr := s.exec.replayErr()
		if replayErr != nil && stepErr == nil {
			stepErr = replayErr
		}
		s.log.flush()
		rep.Ran++
		for k, v := range res.Outputs {
			rep.Outputs[k] = v
		}
		s.set.Add(b.sensitiveOutputs(res.Outputs)...)
		applyErr := b.applyStepOutputs(action, res.Outputs)
		s.log.stepEnd(i+1, n, ps.runner, time.Since(began), stepErr)
		if stepErr != nil {
			err := stepFailed(action, i+1, ps.runner, stepErr)
			if replayErr != nil && !errors.Is(stepErr, replayErr) {
				err = fmt.Errorf("%w\n%w", err, replayErr)
			}
			if len(res.Denials) > 0 {
				err = fmt.Errorf("%w\ndenied by the policy:\n  %s", err, strings.Join(res.Denials, "\n  "))
			}
			return errors.Join(err, applyErr)
		}
		if applyErr != nil {
			return applyErr
		}
	}
	return s.exec.replayUnused()
}

// initialize prepares the bundle directory before the steps, as Porter's
// runtime does: the outputs directories, file parameters decoded in place,
// and the previous state unpacked.
func (s *session) initialize(b *bundle) error {
	for _, dir := range []string{s.paths.outputsDir(), s.paths.mixinOutputsDir()} {
		if err := os.MkdirAll(dir, 0o770); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	if err := b.decodeFileParams(s.cfg.Action); err != nil {
		return err
	}
	bag, err := state.Open(s.paths.root, s.paths.stateBag())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if errors.Is(err, state.ErrCorrupt) {
		return errkind.WithHint(fmt.Errorf("read state %s: %w", s.paths.stateBag(), err),
			"the porter-state parameter must be the base64 of a tar.gz, or null")
	}
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	if bag == nil {
		return nil
	}
	defer func() { _ = bag.Close() }() // read only
	names, err := state.Unpack(bag, s.paths.root, b.stateVars())
	if err != nil {
		if hint := stateHint(err); hint != "" { // err names the state and says "unpack state"
			err = errkind.WithHint(err, hint)
		}
		return err
	}
	if s.cfg.Debug {
		for _, n := range names {
			s.log.debug("Unpacked state %s", n)
		}
	}
	return nil
}

// finalize runs always once the state was unpacked: it copies file-backed
// bundle outputs that no step produced and packs porter-state.
func (s *session) finalize(b *bundle, outputs map[string][]byte) error {
	errPath := b.applyPathOutputs(s.cfg.Action, outputs)
	errState := state.Pack(filepath.Join(s.paths.outputsDir(), "porter-state"), s.paths.root, b.stateVars())
	if hint := stateHint(errState); hint != "" {
		errState = errkind.WithHint(errState, hint)
	}
	return errors.Join(errPath, errState)
}

// stateHint says what to do about a state file that cannot be unpacked or
// packed.
func stateHint(err error) string {
	switch {
	case errors.Is(err, state.ErrLimit):
		return "keep state files small: store large data elsewhere and keep a reference in the state"
	case errors.Is(err, state.ErrOutside):
		return "a state path must stay inside the bundle's root: remove the symbolic link that leads out of it"
	}
	return ""
}

// plannedStep is a step with the mixin that runs it.
type plannedStep struct {
	step   manifest.Step
	runner step.Runner
}

// plan is the steps of the action with their runners, one runner per mixin.
type plan struct {
	steps   []plannedStep
	runners []step.Runner
}

// close releases the runners (a reactor's instance).
func (p *plan) close(ctx context.Context) {
	for _, r := range p.runners {
		_ = r.Close(ctx) // nothing left to report to once the run is over
	}
}

// plan resolves every step's mixin before anything runs, so a missing or
// incompatible mixin fails the run before the first step.
func (s *session) plan(ctx context.Context, b *bundle, env []string) (*plan, error) {
	steps, err := b.steps(s.cfg.Action)
	if err != nil {
		return nil, err
	}
	pol, err := s.policy(b)
	if err != nil {
		return nil, err
	}
	byMixin := map[string]step.Runner{}
	p := &plan{}
	for _, st := range steps {
		r, ok := byMixin[st.Mixin]
		if !ok {
			r, err = s.resolve(ctx, st.Mixin, b, env, pol)
			if err != nil {
				p.close(context.WithoutCancel(ctx))
				return nil, err
			}
			byMixin[st.Mixin] = r
			p.runners = append(p.runners, r)
			if r.Form() == step.FormNative {
				s.log.warn("mixin %s runs as a native binary, outside the sandbox (native, unsandboxed)", st.Mixin)
			}
		}
		p.steps = append(p.steps, plannedStep{step: st, runner: r})
	}
	return p, nil
}

// stepFailed is the error of a failed step: it matches ErrStep and wraps the
// cause.
func stepFailed(action string, i int, r step.Runner, cause error) error {
	return &stepError{text: fmt.Sprintf("%s step %d failed (%s, %s)", action, i, r.Name(), r.Form()), err: cause}
}

// stepError is a failed step; it matches ErrStep and wraps the cause.
type stepError struct {
	text string
	err  error
}

func (e *stepError) Error() string        { return e.text + ": " + e.err.Error() }
func (e *stepError) Unwrap() error        { return e.err }
func (e *stepError) Is(target error) bool { return target == errkind.ErrStep }
