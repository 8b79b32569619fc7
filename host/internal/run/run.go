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
	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/host/internal/mask"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/state"
	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/host/internal/tmpl"
	"github.com/mixbox/mixbox/host/internal/wasm"
)

// session is one run: everything it keeps from start to end. It is created
// by Run and passed down; nothing of it outlives the run.
type session struct {
	cfg   Config
	deps  Deps
	paths paths
	// secrets are the sensitive values the run was given (credentials,
	// sensitive parameters and their fields, sensitive outputs of earlier
	// runs): masked in everything mixbox prints.
	secrets *mask.Set
	// guest are the values mixins chose (mask() calls, step outputs): masked
	// in what mixins print, never in mixbox's own lines.
	guest *mask.Set
	short map[string]bool // names of values reported too short to mask
	log   *runLog
	exec  *execState // recorder, replayer and rendered grants
	watch execWatch  // the current step's refused and failed exec calls

	failedStep int // the step that failed, 0 when none did
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
	s := &session{cfg: cfg, deps: deps, paths: newPaths(cfg.Root), secrets: mask.NewSet(), guest: mask.NewSet(), short: map[string]bool{}}
	s.log = newRunLog(cfg.JSONLog, s.secrets, s.guest, cfg.Stdout, cfg.Stderr)
	return s, nil
}

// addSecrets masks values from now on: the run's own in everything, those
// a step produced in what mixins print. A value or line too short to mask
// is said once per name in the run log, by name, never by content.
func (s *session) addSecrets(secrets []tmpl.Secret) {
	for _, sec := range secrets {
		short := s.secrets.Add
		if sec.FromStep {
			short = s.addGuest
		}
		if short := short(sec.Value); short.Any() && !s.short[sec.Name] {
			s.short[sec.Name] = true
			s.log.warn("%s is sensitive, but %s", sec.Name, short)
		}
	}
}

// addGuest masks v, a value a mixin chose, in what mixins print. What
// mixins print is masked with the run's secrets first, so v is also added
// as that masking leaves it: a step output that quotes a credential is then
// masked whole, as Porter masks it.
func (s *session) addGuest(v string) mask.Short {
	short := s.guest.Add(v)
	if m := s.secrets.String(v); m != v {
		s.guest.Add(m)
	}
	return short
}

// maskAll returns text with the run's secrets masked, then the values
// mixins chose: for text that carries what a mixin produced.
func (s *session) maskAll(text string) string { return s.guest.String(s.secrets.String(text)) }

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
		s.log.done(rep.Ran, rep.Steps, s.failedStep, rep.Duration, err)
	}
	s.log.flush()
	return rep, s.maskErr(err)
}

// maskErr returns err with the run's secrets masked in its text, keeping
// the chain. The values mixins chose are not masked here: the final error
// is mixbox's own text, which a mixin cannot scrub (what a native mixin
// printed in it is masked by runSteps).
func (s *session) maskErr(err error) error {
	if err == nil {
		return nil
	}
	masked := errkind.Masked(err, s.secrets.String(err.Error()))
	if hint := errkind.Hint(err); hint != "" {
		return errkind.WithHint(masked, s.secrets.String(hint)) // a hint may name a path or a value too
	}
	return masked
}

func (s *session) run(ctx context.Context) (Report, error) {
	var rep Report
	if s.cfg.Action == "" {
		return rep, fmt.Errorf("%w: %w", errkind.ErrUsage, errkind.ErrNoAction)
	}
	if err := s.checkImage(); err != nil {
		return rep, err
	}
	b, err := s.loadBundle()
	if err != nil {
		return rep, err
	}
	pol, err := s.policy(b)
	if err != nil {
		return rep, err
	}
	env, err := s.prepareEnv(b)
	if err != nil {
		return rep, err
	}
	exec, err := newExecState(s.cfg, s.maskAll, func(w io.Writer) hostexec.MaskWriter { return mask.NewWriter(w, s.secrets, s.guest) })
	if err != nil {
		return rep, err
	}
	s.exec = exec
	// As Porter: the banner, then bundle.json, the action and the mixins.
	s.log.banner(s.cfg.Action, lookup(env, "CNAB_BUNDLE_NAME"), lookup(env, "CNAB_INSTALLATION_NAME"))
	if err := s.loadDefinitions(ctx, b); err != nil {
		return rep, err
	}
	p, err := s.plan(ctx, b, env, pol)
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
		s.debug("=== Step Template ===\n%s\n", b.m.TemplatePrefix()+ps.step.Template)
		in, sensitive, err := b.render(ctx, action, ps.step, envm, rep.Outputs)
		s.addSecrets(sensitive)
		if err != nil {
			s.failedStep = i + 1
			return err
		}
		if ps.step.Mixin == policy.ExecMixin {
			s.exec.grants.addRendered(in.Stdin)
		}
		s.log.description(i+1, n, in.Description)
		in.Index = i + 1
		sio := step.IO{
			Stdout: s.log.mixinOut, Stderr: s.log.mixinErr, Log: s.log.stepLine, Debug: s.cfg.Debug,
			Mask: func(v string) { s.addGuest(v) },
		}
		s.watch.reset()
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
		s.addSecrets(b.sensitiveOutputs(res.Outputs))
		applyErr := b.applyStepOutputs(action, res.Outputs)
		if stepErr != nil && ps.runner.Form() == step.FormNative {
			// A native mixin's error quotes what it printed on stderr.
			stepErr = errkind.Masked(stepErr, s.maskAll(stepErr.Error()))
		}
		s.log.stepEnd(i+1, n, ps.runner, time.Since(began), stepErr)
		if stepErr != nil {
			denied, failed := s.watch.took()
			err := stepFailed(action, i+1, ps.runner, stepErr, failed, res.ExitCode)
			if replayErr != nil && !errors.Is(stepErr, replayErr) {
				err = fmt.Errorf("%w\n%w", err, replayErr)
			}
			if len(res.Denials) > 0 {
				err = fmt.Errorf("%w\ndenied by the policy:\n  %s", err, strings.Join(res.Denials, "\n  "))
			}
			if len(denied) > 0 {
				err = deniedErr(err, ps.runner.Name(), p.defaultPolicy, denied)
			}
			s.failedStep = i + 1
			return errors.Join(err, applyErr)
		}
		if applyErr != nil {
			return applyErr
		}
	}
	return s.exec.replayUnused()
}

// checkImage refuses a run without a root where there is no invocation
// image: without /cnab/app there is no bundle directory to run in, and the
// run would write /cnab/app/outputs on this machine.
func (s *session) checkImage() error {
	if s.paths.isRooted() {
		return nil
	}
	if fi, err := os.Stat(s.paths.bundleDir()); err == nil && fi.IsDir() {
		return nil
	}
	err := fmt.Errorf("this looks like a local run: %s does not exist, and without a CNAB root mixbox runs the bundle there, as in an invocation image", s.paths.bundleDir())
	return errkind.WithHint(errkind.Of(errkind.ErrUsage, errkind.Of(errkind.ErrRoot, err)),
		"lay the bundle out at ROOT/cnab/app and take every CNAB path under ROOT")
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
	secrets, err := b.decodeFileParams(s.cfg.Action)
	s.addSecrets(secrets)
	if err != nil {
		return err
	}
	if len(b.m.State) == 0 {
		s.debug("No existing bundle state to unpack")
		return nil
	}
	bag, err := state.Open(s.paths.root, s.paths.stateBag())
	if errors.Is(err, os.ErrNotExist) {
		s.debug("No existing bundle state to unpack")
		return nil
	}
	if errors.Is(err, state.ErrCorrupt) {
		return errkind.WithHint(fmt.Errorf("read state %s: %w", s.paths.stateBag(), err),
			"the porter-state parameter must be the base64 of a tar.gz, or null")
	}
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	if bag == nil { // the state file holds null
		if b.stateIsFileParam() {
			s.debug("No existing bundle state to unpack") // Porter decodes it as a file parameter first, which removes it
		} else {
			s.debug("Bundle state file has null content")
		}
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
	for _, n := range names {
		s.debug("  - %s -> %s", n, b.statePath(n))
	}
	return nil
}

// debug prints a line of Porter's debug mode (--debug, PORTER_DEBUG).
func (s *session) debug(format string, args ...any) {
	if s.cfg.Debug {
		s.log.debug(format, args...)
	}
}

// finalize runs always once the state was unpacked: it copies file-backed
// bundle outputs that no step produced and packs porter-state.
func (s *session) finalize(b *bundle, outputs map[string][]byte) error {
	if s.cfg.Debug {
		for _, name := range b.pathOutputs(s.cfg.Action) {
			s.debug("  - %s", name)
		}
	}
	errPath := b.applyPathOutputs(s.cfg.Action, outputs)
	s.debug("Packing bundle state...")
	for _, v := range b.m.State {
		if _, err := os.Stat(s.paths.onHost(v.Path)); err == nil {
			s.debug("  - %s", v.Path)
		}
	}
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
	steps         []plannedStep
	runners       []step.Runner
	defaultPolicy bool // no policy file: the default policy applies
}

// close releases the runners (a reactor's instance).
func (p *plan) close(ctx context.Context) {
	for _, r := range p.runners {
		_ = r.Close(ctx) // nothing left to report to once the run is over
	}
}

// plan resolves every step's mixin before anything runs, so a missing or
// incompatible mixin fails the run before the first step.
func (s *session) plan(ctx context.Context, b *bundle, env []string, pol *policy.Policy) (*plan, error) {
	steps, err := b.steps(s.cfg.Action)
	if err != nil {
		return nil, err
	}
	byMixin := map[string]step.Runner{}
	p := &plan{defaultPolicy: pol.Default}
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
				if err := s.nativeExecCheck(st.Mixin); err != nil {
					p.close(context.WithoutCancel(ctx))
					return nil, err
				}
				s.log.warn("mixin %s runs as a native binary, outside the sandbox (native, unsandboxed)", st.Mixin)
			}
		}
		p.steps = append(p.steps, plannedStep{step: st, runner: r})
	}
	return p, nil
}

// stepFailed is the error of a failed step: it matches ErrStep and wraps the
// cause. When the mixin exited non-zero after a command of its own failed,
// it names the command and how it ended instead of the mixin's exit code
// alone (which stays Porter's: the exit code of mixbox does not change).
func stepFailed(action string, i int, r step.Runner, cause error, failed *failedCall, code int) error {
	e := &stepError{text: fmt.Sprintf("%s step %d failed (%s, %s)", action, i, r.Name(), r.Form()), err: cause}
	if failed != nil && errors.Is(cause, wasm.ErrExit) {
		e.cause = fmt.Sprintf("%s (%s exited with code %d)", failed, r.Name(), code)
	}
	return e
}

// stepError is a failed step; it matches ErrStep and wraps the cause.
type stepError struct {
	text  string
	cause string // the cause's text when not err's own
	err   error
}

func (e *stepError) Error() string {
	if e.cause != "" {
		return e.text + ": " + e.cause
	}
	return e.text + ": " + e.err.Error()
}
func (e *stepError) Unwrap() error        { return e.err }
func (e *stepError) Is(target error) bool { return target == errkind.ErrStep }
