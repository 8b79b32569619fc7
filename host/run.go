package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mixbox/mixbox/host/internal/mask"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/state"
	"github.com/mixbox/mixbox/host/internal/step"
)

// Run runs the action of Options. Whatever happens after the manifest was
// loaded and the state unpacked, outputs produced so far and porter-state
// are written before Run returns. The error's text is masked.
func (rt *Runtime) Run(ctx context.Context) (Report, error) {
	start := time.Now()
	set := mask.NewSet()
	rt.set = set
	log := newRunLog(rt.opts.LogFormat, set, rt.opts.Stdout, rt.opts.Stderr)
	rep, err := rt.run(ctx, set, log)
	rep.Duration = time.Since(start)
	if rep.Steps > 0 || err == nil {
		log.done(rep.Ran, rep.Steps, rep.Duration, err)
	}
	log.flush()
	return rep, maskErr(set, err)
}

func (rt *Runtime) run(ctx context.Context, set *mask.Set, log *runLog) (Report, error) {
	var rep Report
	if rt.opts.Action == "" {
		return rep, withHint(fmt.Errorf("%w: no action to run", ErrUsage), "pass --action or set CNAB_ACTION")
	}
	if err := rt.startRun(); err != nil {
		return rep, err
	}
	b, err := rt.loadBundle(ctx)
	if err != nil {
		return rep, err
	}
	env, err := rt.prepareEnv(b)
	if err != nil {
		return rep, err
	}
	// As Porter: the banner, then bundle.json, the action and the mixins.
	name, _ := lookup(env, "CNAB_BUNDLE_NAME")
	inst, _ := lookup(env, "CNAB_INSTALLATION_NAME")
	log.banner(rt.opts.Action, name, inst)
	if err := rt.loadDefinitions(ctx, b); err != nil {
		return rep, err
	}
	plan, err := rt.plan(ctx, b, env, log)
	if err != nil {
		return rep, err
	}
	defer plan.close(ctx)
	rep.Steps = len(plan.steps)

	if err := rt.initialize(ctx, b, log); err != nil {
		return rep, err
	}
	outputs := map[string][]byte{}
	rep.Outputs = outputs
	runErr := rt.runSteps(ctx, b, plan, env, set, log, outputs, &rep)
	finErr := rt.finalize(b, outputs, log)
	return rep, errors.Join(runErr, finErr, rt.endRun())
}

func (rt *Runtime) runSteps(ctx context.Context, b *bundle, plan *plan, env []string, set *mask.Set, log *runLog, outputs map[string][]byte, rep *Report) error {
	n := len(plan.steps)
	for i, ps := range plan.steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %s step %d not started: %w", ErrStep, rt.opts.Action, i+1, context.Cause(ctx))
		}
		in, sensitive, err := b.render(ctx, rt.opts.Action, ps.step, envMap(env), outputs)
		set.Add(sensitive...)
		if err != nil {
			return err
		}
		if ps.step.mixin == policy.ExecMixin {
			if g, ok := renderedExecStep(in.Stdin); ok {
				rt.cur.rendered = append(rt.cur.rendered, g)
			}
		}
		log.description(i+1, n, in.Description)
		in.Index = i + 1
		sio := step.IO{Stdout: log.stdout, Stderr: log.stderr, Mask: func(v string) { set.Add(v) }, Debug: rt.opts.Debug}
		began := time.Now()
		res, stepErr := ps.runner.Run(ctx, in, sio)
		if rerr := rt.replayErr(); rerr != nil && stepErr == nil {
			stepErr = fmt.Errorf("the exec calls differ from --replay-exec %s: %w", rt.opts.ReplayExec, rerr)
		}
		log.flush()
		rep.Ran++
		for k, v := range res.Outputs {
			outputs[k] = v
		}
		set.Add(b.sensitiveOutputs(res.Outputs)...)
		applyErr := b.applyStepOutputs(rt.opts.Action, res.Outputs)
		log.stepEnd(i+1, n, ps.runner.Name(), ps.runner.Form().String(), time.Since(began), stepErr)
		if stepErr != nil {
			var err error = &stepError{text: fmt.Sprintf("%s step %d failed (%s, %s)", rt.opts.Action, i+1, ps.runner.Name(), ps.runner.Form()), err: stepErr}
			if rerr := rt.replayErr(); rerr != nil && !errors.Is(stepErr, rerr) {
				err = fmt.Errorf("%w\nthe exec calls differ from --replay-exec %s:\n%w", err, rt.opts.ReplayExec, rerr)
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
	return rt.replayUnused()
}

// initialize prepares the bundle directory before the steps, as Porter's
// runtime does: the outputs directories, file parameters decoded in place,
// and the previous state unpacked.
func (rt *Runtime) initialize(ctx context.Context, b *bundle, log *runLog) error {
	for _, dir := range []string{rt.paths.outputsDir(), rt.paths.mixinOutputsDir()} {
		if err := os.MkdirAll(dir, 0o770); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	if err := b.decodeFileParams(rt.opts.Action); err != nil {
		return err
	}
	data, err := os.ReadFile(rt.paths.stateBag())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	bag, err := state.Decode(data)
	if err != nil {
		return withHint(fmt.Errorf("read state %s: %w", rt.paths.stateBag(), err),
			"the porter-state parameter must be the base64 of a tar.gz, or null")
	}
	names, err := state.Unpack(bag, b.stateVars())
	if err != nil {
		return fmt.Errorf("unpack state: %w", err)
	}
	if rt.opts.Debug {
		for _, n := range names {
			log.debug("Unpacked state %s", n)
		}
	}
	return nil
}

// finalize runs always once the state was unpacked: it copies file-backed
// bundle outputs that no step produced and packs porter-state.
func (rt *Runtime) finalize(b *bundle, outputs map[string][]byte, log *runLog) error {
	errPath := b.applyPathOutputs(rt.opts.Action, outputs)
	errState := state.Pack(filepath.Join(rt.paths.outputsDir(), "porter-state"), b.stateVars())
	return errors.Join(errPath, errState)
}

// plannedStep is a step with the mixin that runs it.
type plannedStep struct {
	step   bundleStep
	runner step.Runner
}

type plan struct {
	steps []plannedStep
}

// close releases what the plan's runners hold once the run is over: a wasm
// reactor's instance (wasm.Runner.Close, which may be called more than once).
func (p *plan) close(ctx context.Context) {
	for _, ps := range p.steps {
		if c, ok := ps.runner.(interface{ Close(context.Context) error }); ok {
			_ = c.Close(context.WithoutCancel(ctx)) // only frees memory after the last step; the run's result is settled
		}
	}
}

// plan resolves every step's mixin before anything runs, so a missing or
// incompatible mixin fails the run before the first step.
func (rt *Runtime) plan(ctx context.Context, b *bundle, env []string, log *runLog) (*plan, error) {
	steps, err := b.steps(rt.opts.Action)
	if err != nil {
		return nil, err
	}
	pol, err := rt.policy(b)
	if err != nil {
		return nil, err
	}
	runners := map[string]step.Runner{}
	p := &plan{}
	var warned []string
	for _, s := range steps {
		r, ok := runners[s.mixin]
		if !ok {
			r, err = rt.resolve(ctx, s.mixin, b, env, pol)
			if err != nil {
				return nil, err
			}
			runners[s.mixin] = r
			if r.Form() == step.FormNative && !slices.Contains(warned, s.mixin) {
				warned = append(warned, s.mixin)
				log.warn("mixin %s runs as a native binary, outside the sandbox (native, unsandboxed)", s.mixin)
			}
		}
		p.steps = append(p.steps, plannedStep{step: s, runner: r})
	}
	return p, nil
}

// stepError is a failed step; it matches ErrStep and wraps the cause.
type stepError struct {
	text string
	err  error
}

func (e *stepError) Error() string        { return e.text + ": " + e.err.Error() }
func (e *stepError) Unwrap() error        { return e.err }
func (e *stepError) Is(target error) bool { return target == ErrStep }
