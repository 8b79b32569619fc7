package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// bench runs the cases and keeps what the summary reports.
type bench struct {
	cfg     config
	chroot  bool
	out     io.Writer
	log     io.Writer
	mounts  []string
	targets []target
}

// side is one runtime of a case, in a root of its own.
type side struct {
	label string
	root  string // the chroot, or the --cnab-root
	cache string // the compiled-module cache, as seen from outside
	argv  []string
	env   []string
	dir   string
	attr  func() *syscall.SysProcAttr
	// reset runs, untimed, before every run: outputs (and, cold, the cache)
	// removed; after, untimed, after it.
	reset func() error
	after func()
}

// sample is one timed run.
type sample struct {
	wall, cpu time.Duration
	rss       int64
}

// target is one line of the summary: a figure and the goal it is held to.
type target struct {
	what, got, goal string
	ok              bool
}

func (b *bench) all(ctx context.Context) error {
	where := "in chroots (each runtime is /cnab/app/runtimes/porter-runtime)"
	if !b.chroot {
		where = "under --cnab-root (no root: Porter is skipped)"
	}
	porter := b.cfg.porterRuntime != "" && b.chroot
	_, _ = fmt.Fprintf(b.out, "# mixbox bench: %d paired runs per side, medians, %s\n\n", b.cfg.n, where)
	if b.cfg.porterRuntime != "" && !b.chroot {
		_, _ = fmt.Fprintln(b.out, "Porter needs a chroot (run as root): its side is skipped.")
	}
	for _, name := range b.cfg.cases {
		var err error
		switch name {
		case "steps30":
			err = b.steps30(ctx, porter)
		case "hello-warm":
			err = b.hello(ctx, porter, false)
		case "hello-cold":
			err = b.hello(ctx, porter, true)
		case "output200":
			err = b.output200(ctx, porter)
		case "runsh":
			err = b.runsh(ctx)
		}
		if err != nil {
			return fmt.Errorf("case %s: %w", name, err)
		}
	}
	b.summary()
	return nil
}

func (b *bench) steps30(ctx context.Context, porter bool) error {
	bun := stepsBundle(30)
	sides, err := b.sides(ctx, "steps30", bun, porter, true, false)
	if err != nil {
		return err
	}
	res, err := b.measure(ctx, "steps30: 30 exec steps of `true`, cache filled by `mixbox precompile`", sides)
	if err != nil {
		return err
	}
	wasm, native := res["mixbox wasm"], res["mixbox native"]
	if p, ok := res["porter"]; ok {
		b.ratio("30 steps warm: wall mixbox wasm / Porter", wasm, p, 0.33, "≤ 0.33 (aim 0.2)")
		b.rss("30 steps warm: peak RSS mixbox wasm / Porter", wasm, p)
	}
	b.ratio("30 steps warm: wall wasm / native (mixbox's exec mixin)", wasm, native, 1.5, "≤ 1.5")
	return nil
}

func (b *bench) hello(ctx context.Context, porter, cold bool) error {
	name, title := "hello-warm", "hello-warm: examples/hello install (2 exec steps), precompiled"
	if cold {
		name, title = "hello-cold", "hello-cold: examples/hello install, empty cache before every run, no precompile"
	}
	sides, err := b.sides(ctx, name, helloBundle(b.cfg.repo), porter, false, cold)
	if err != nil {
		return err
	}
	res, err := b.measure(ctx, title, sides)
	if err != nil {
		return err
	}
	if p, ok := res["porter"]; ok {
		if cold {
			b.ratio("hello, empty cache: wall mixbox / Porter", res["mixbox wasm"], p, 2.0, "≤ 2.0")
		} else {
			b.ratio("hello, precompiled: wall mixbox / Porter", res["mixbox wasm"], p, 1.0, "≤ 1.0 (aim 0.6)")
		}
		b.rss("hello: peak RSS mixbox / Porter ("+strings.TrimPrefix(name, "hello-")+")", res["mixbox wasm"], p)
	}
	return nil
}

func (b *bench) output200(ctx context.Context, porter bool) error {
	sides, err := b.sides(ctx, "output200", outputBundle(200<<20), porter, false, false)
	if err != nil {
		return err
	}
	res, err := b.measure(ctx, "output200: one step printing 200 MiB, suppress-output, no outputs (precompiled)", sides)
	if err != nil {
		return err
	}
	if p, ok := res["porter"]; ok {
		b.ratio("200 MiB suppressed: wall mixbox / Porter", res["mixbox wasm"], p, 1.5, "≤ 1.5")
		b.rss("200 MiB suppressed: peak RSS mixbox / Porter", res["mixbox wasm"], p)
	}
	return nil
}

// runsh runs examples/hello/run.sh twice with a new, empty user cache (a
// newcomer's first two runs), outside any chroot.
func (b *bench) runsh(ctx context.Context) error {
	script := filepath.Join(b.cfg.repo, "examples", "hello", "run.sh")
	first, second := make([]sample, 0, b.cfg.n), make([]sample, 0, b.cfg.n)
	var fills []sample
	for i := range b.cfg.n + 1 {
		home := filepath.Join(b.cfg.work, "runsh", fmt.Sprint(i))
		if err := os.MkdirAll(home, 0o755); err != nil {
			return fmt.Errorf("make %s: %w", home, err)
		}
		s := &side{
			label: "run.sh",
			argv:  []string{"/bin/sh", script},
			env:   []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "MIXBOX=" + b.cfg.mixbox, "TMPDIR=" + home},
			dir:   b.cfg.repo,
			attr:  plainAttr,
		}
		one, err := b.once(ctx, s, i == 0)
		if err != nil {
			return err
		}
		fill := waitFilled(filepath.Join(home, ".cache", "mixbox"), time.Minute)
		fills = append(fills, fill)
		two, err := b.once(ctx, s, i == 0)
		if err != nil {
			return err
		}
		if err := os.RemoveAll(home); err != nil {
			return fmt.Errorf("remove %s: %w", home, err)
		}
		if i > 0 { // the first pair warms the page cache
			first, second = append(first, one), append(second, two)
		}
	}
	b.table("runsh: examples/hello/run.sh twice, a new empty user cache each time, the second run once the first one's background fill is done (mixbox only)",
		[]string{"first run", "second run"}, map[string][]sample{"first run": first, "second run": second})
	f, s, fl := medians(first), medians(second), medians(fills[1:])
	b.targets = append(b.targets, target{
		what: "run.sh twice: second run / first run (wall)",
		got:  fmt.Sprintf("%.2f (%s, the fill done %s after it, then %s)", ratioOf(s.wall, f.wall), ms(f.wall), ms(fl.wall), ms(s.wall)),
		goal: "second run warm",
		ok:   s.wall < f.wall*2/3,
	})
	return nil
}

// sides lays out one root per runtime for a case: Porter's (when porter),
// mixbox with the built-in wasm exec mixin, and (native) mixbox with its
// native exec-runtime. warm precompiles mixbox's cache; cold empties it
// before every run.
func (b *bench) sides(ctx context.Context, name string, bun bundle, porter, native, cold bool) ([]*side, error) {
	type spec struct {
		label, runtime, exec string
		args                 []string
	}
	var specs []spec
	if porter {
		specs = append(specs, spec{"porter", b.cfg.porterRuntime, b.cfg.porterExec, nil})
	}
	specs = append(specs, spec{"mixbox wasm", b.cfg.mixbox, "", nil})
	if native {
		specs = append(specs, spec{"mixbox native", b.cfg.mixbox, b.cfg.execNative, []string{"--prefer", "native"}})
	}
	var out []*side
	for _, sp := range specs {
		root := filepath.Join(b.cfg.work, name, strings.ReplaceAll(sp.label, " ", "-"))
		if err := b.layout(root, bun, sp.runtime, sp.exec); err != nil {
			return nil, err
		}
		s := b.side(root, sp.label, bun, sp.args)
		if sp.label == "mixbox wasm" {
			if cold {
				// A fresh container every run: the fill a run leaves
				// behind (mixbox precompile --background) dies with it.
				s.after = func() { stopFills(s.cache) }
				reset := s.reset
				s.reset = func() error {
					stopFills(s.cache) // one that had not claimed yet after the run
					if err := os.RemoveAll(s.cache); err != nil {
						return fmt.Errorf("empty the cache: %w", err)
					}
					return reset()
				}
			} else if err := b.precompile(ctx, s); err != nil {
				return nil, err
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// layout writes a root: the bundle at /cnab/app, bundle.json, the runtime
// as /cnab/app/runtimes/porter-runtime, the exec mixin's native runtime
// (when execBin is set), and in a chroot the system directories.
func (b *bench) layout(root string, bun bundle, runtime, execBin string) error {
	app := filepath.Join(root, "cnab", "app")
	if err := os.MkdirAll(filepath.Join(app, "runtimes"), 0o755); err != nil {
		return fmt.Errorf("make %s: %w", app, err)
	}
	if bun.copyDir != "" {
		if err := copyTree(bun.copyDir, app); err != nil {
			return err
		}
	}
	if bun.manifest != "" {
		if err := os.WriteFile(filepath.Join(app, "porter.yaml"), []byte(bun.manifest), 0o644); err != nil {
			return fmt.Errorf("write porter.yaml: %w", err)
		}
	}
	for name, body := range bun.files {
		if err := os.WriteFile(filepath.Join(app, name), []byte(body), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "cnab", "bundle.json"), []byte(bun.json), 0o644); err != nil {
		return fmt.Errorf("write bundle.json: %w", err)
	}
	if err := copyFile(runtime, filepath.Join(app, "runtimes", "porter-runtime")); err != nil {
		return err
	}
	if execBin != "" {
		dir := filepath.Join(app, "mixins", "exec", "runtimes")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("make %s: %w", dir, err)
		}
		if err := copyFile(execBin, filepath.Join(dir, "exec-runtime")); err != nil {
			return err
		}
	}
	if !b.chroot {
		return nil
	}
	mounted, err := mountSystem(root)
	b.mounts = append(b.mounts, mounted...)
	return err
}

// side is how a runtime laid out in root is run: as a driver runs it in
// the image, or under --cnab-root.
func (b *bench) side(root, label string, bun bundle, args []string) *side {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin", "PORTER_HOME=/cnab/app",
		"CNAB_ACTION=install", "CNAB_BUNDLE_VERSION=0.1.0", "CNAB_INSTALLATION_NAME=bench",
		"CNAB_REVISION=01J5Y0M2K8R3T7V9W4X6Z1B2C3", "PORTER_VERBOSITY=info", "PORTER_DEBUG=false",
	}
	env = append(env, bun.env...)
	s := &side{label: label, root: root}
	if b.chroot {
		s.argv = append([]string{"/cnab/app/runtimes/porter-runtime", "run", "-f", "/cnab/app/porter.yaml"}, args...)
		s.env = append(env, "HOME=/root")
		s.dir = "/cnab/app"
		s.cache = filepath.Join(root, "cnab", ".mixbox", "cache")
		s.attr = func() *syscall.SysProcAttr { return chrootAttr(root) }
	} else {
		s.cache = filepath.Join(root, "cache")
		s.argv = append([]string{filepath.Join(root, "cnab", "app", "runtimes", "porter-runtime"), "run", "--cnab-root", root, "-f", "/cnab/app/porter.yaml"}, args...)
		s.env = append(env, "HOME="+root, "MIXBOX_CACHE_DIR="+s.cache)
		s.dir = filepath.Join(root, "cnab", "app")
		s.attr = plainAttr
	}
	outputs := filepath.Join(root, "cnab", "app", "outputs")
	s.reset = func() error {
		if err := os.RemoveAll(outputs); err != nil {
			return fmt.Errorf("remove outputs: %w", err)
		}
		return nil
	}
	return s
}

// precompile fills a mixbox side's cache with `mixbox precompile`, run as
// the side runs.
func (b *bench) precompile(ctx context.Context, s *side) error {
	p := *s
	p.argv = []string{s.argv[0], "precompile"}
	p.reset = func() error { return nil }
	_, err := b.once(ctx, &p, false)
	return err
}

// measure runs every side once untimed (checked), then n times each,
// interleaved in a rotating order, and prints the medians.
func (b *bench) measure(ctx context.Context, title string, sides []*side) (map[string]sample, error) {
	for _, s := range sides {
		if _, err := b.once(ctx, s, true); err != nil {
			return nil, err
		}
	}
	got := map[string][]sample{}
	for i := range b.cfg.n {
		for j := range sides {
			s := sides[(i+j)%len(sides)]
			one, err := b.once(ctx, s, false)
			if err != nil {
				return nil, err
			}
			got[s.label] = append(got[s.label], one)
		}
	}
	labels := make([]string, len(sides))
	for i, s := range sides {
		labels[i] = s.label
	}
	b.table(title, labels, got)
	out := map[string]sample{}
	for l, ss := range got {
		out[l] = medians(ss)
	}
	return out, nil
}

// once runs a side once. checked runs also check the run log: it must say
// the action completed.
func (b *bench) once(ctx context.Context, s *side, checked bool) (sample, error) {
	if s.reset != nil {
		if err := s.reset(); err != nil {
			return sample{}, err
		}
	}
	cmd := exec.CommandContext(ctx, s.argv[0], s.argv[1:]...)
	cmd.Env, cmd.Dir, cmd.SysProcAttr = s.env, s.dir, s.attr()
	var stdout, stderr bytes.Buffer
	cmd.Stderr = &tailWriter{b: &stderr, max: 16 << 10}
	if checked {
		cmd.Stdout = &tailWriter{b: &stdout, max: 1 << 20}
	}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if s.after != nil {
		s.after()
	}
	if err != nil {
		return sample{}, fmt.Errorf("%s: %s: %w\nstderr:\n%s", s.label, strings.Join(s.argv, " "), err, stderr.String())
	}
	if checked && s.argv[len(s.argv)-1] != "precompile" && !strings.Contains(stdout.String(), "execution completed successfully!") {
		return sample{}, fmt.Errorf("%s: the run did not complete:\n%s\nstderr:\n%s", s.label, stdout.String(), stderr.String())
	}
	cpu, rss := usage(cmd.ProcessState)
	return sample{wall: wall, cpu: time.Duration(cpu), rss: rss}, nil
}

func (b *bench) table(title string, labels []string, got map[string][]sample) {
	_, _ = fmt.Fprintf(b.out, "## %s\n\n| side | wall (median) | CPU | peak RSS |\n| --- | --- | --- | --- |\n", title)
	for _, l := range labels {
		m := medians(got[l])
		_, _ = fmt.Fprintf(b.out, "| %s | %s | %s | %s |\n", l, ms(m.wall), ms(m.cpu), mib(m.rss))
	}
	_, _ = fmt.Fprintln(b.out)
}

func (b *bench) ratio(what string, num, den sample, max float64, goal string) {
	r := ratioOf(num.wall, den.wall)
	b.targets = append(b.targets, target{
		what: what,
		got:  fmt.Sprintf("%.2f (%s / %s; CPU %.2f)", r, ms(num.wall), ms(den.wall), ratioOf(num.cpu, den.cpu)),
		goal: goal,
		ok:   r <= max,
	})
}

func (b *bench) rss(what string, num, den sample) {
	b.targets = append(b.targets, target{
		what: what,
		got:  mib(num.rss) + " / " + mib(den.rss),
		goal: "below Porter's",
		ok:   num.rss < den.rss,
	})
}

func (b *bench) summary() {
	if len(b.targets) == 0 {
		return
	}
	_, _ = fmt.Fprintln(b.out, "## Targets (issue 8)\n\n| figure | measured | goal | |\n| --- | --- | --- | --- |")
	for _, t := range b.targets {
		ok := "ok"
		if !t.ok {
			ok = "MISSED"
		}
		_, _ = fmt.Fprintf(b.out, "| %s | %s | %s | %s |\n", t.what, t.got, t.goal, ok)
	}
}

func (b *bench) unmountAll() {
	for _, m := range slices.Backward(b.mounts) {
		if err := unmount(m); err != nil {
			_, _ = fmt.Fprintf(b.log, "bench: %v\n", err)
		}
	}
}

// medians returns the median of each figure of ss.
func medians(ss []sample) sample {
	if len(ss) == 0 {
		return sample{}
	}
	med := func(f func(sample) int64) int64 {
		v := make([]int64, len(ss))
		for i, s := range ss {
			v[i] = f(s)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return sample{
		wall: time.Duration(med(func(s sample) int64 { return int64(s.wall) })),
		cpu:  time.Duration(med(func(s sample) int64 { return int64(s.cpu) })),
		rss:  med(func(s sample) int64 { return s.rss }),
	}
}

func ratioOf(num, den time.Duration) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/1e6) }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// tailWriter keeps the first max bytes written to it.
type tailWriter struct {
	b   *bytes.Buffer
	max int
}

func (w *tailWriter) Write(p []byte) (int, error) {
	if room := w.max - w.b.Len(); room > 0 {
		w.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// waitFilled waits, at most max, until the cache holds a compiled module
// and no fill claims one, and returns how long that took.
func waitFilled(cache string, max time.Duration) sample {
	start := time.Now()
	for time.Since(start) < max {
		marks, _ := filepath.Glob(filepath.Join(cache, "mixbox-*.compiled")) // the pattern is fixed
		claims, _ := filepath.Glob(filepath.Join(cache, "mixbox-*.filling")) // as above
		if len(marks) > 0 && len(claims) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return sample{wall: time.Since(start)}
}

// stopFills kills the background fills working on cache (their claim
// files, mixbox-SHA256.filling, hold their pids) and waits for them to end.
func stopFills(cache string) {
	claims, _ := filepath.Glob(filepath.Join(cache, "mixbox-*.filling")) // the pattern is fixed
	for _, c := range claims {
		b, err := os.ReadFile(c)
		if err != nil {
			continue
		}
		var pid int
		if _, err := fmt.Sscan(string(b), &pid); err != nil || pid <= 1 {
			continue
		}
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill() // gone already is fine
		}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if !alive(pid) {
				break
			}
		}
	}
}

// copyFile copies a file with its mode.
func copyFile(src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer func() { _ = in.Close() }() // read only
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	// Streamed: bench's own peak RSS is every child's floor (a child
	// shares its parent's memory until exec, and the kernel counts it).
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// copyTree copies the regular files and directories under src into dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("copy %s: %w", src, err)
		}
		rel, _ := filepath.Rel(src, p) // p is under src
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			if err := os.MkdirAll(to, 0o755); err != nil {
				return fmt.Errorf("copy %s: %w", p, err)
			}
			return nil
		}
		return copyFile(p, to)
	})
}
