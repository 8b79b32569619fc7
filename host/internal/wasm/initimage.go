package wasm

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/mixbox/mixbox/host/internal/compcache"
	"github.com/mixbox/mixbox/host/internal/step"
)

// An initialization image is the state a reactor's _initialize left, its
// memory and mutable globals, kept in the disk cache so that a later run
// starts its first instance from it instead of calling _initialize again
// (abi-v1 §1a, "Initialization images"; RATIONALE.md, "Why does a
// reactor's first step skip _initialize?").
//
// The host keeps one only for a reactor that exports mixbox_env_per_step
// (it reads argv and env again at every step, so its state after
// _initialize does not depend on them), in run (not with deterministic
// clocks), and only when _initialize called nothing but the WASI functions
// of pureAtInit: anything else it did (a write, a file it opened, a mixbox_v1
// call) would not happen again on a later run. An image is keyed by the
// module's sha256, its exported globals and the guest paths of its
// preopens, which the guest reads during _initialize and keeps; `mixbox
// precompile` keeps the image for the default mounts (KeepImage).
//
// The file is imageHeader bytes, the globals' values (8 bytes each), then
// the memory. Its CRC-32C covers all of it and is checked before the
// instance runs any code; an image that fails a check is removed and the
// instance initialized as if there were none.

// imageMagic starts every image file; the last byte is the format version.
const imageMagic = "MIXBOXI\x01"

// An image's fixed header: the magic, the key, the guest's monotonic clock
// at the image (u64), the memory's length (u64), the global count (u32) and
// the CRC-32C (u32), at these offsets; imageHeader is its size.
const (
	imageKeyAt     = len(imageMagic)
	imageClockAt   = imageKeyAt + 32
	imageMemLenAt  = imageClockAt + 8
	imageGlobalsAt = imageMemLenAt + 8
	imageSumAt     = imageGlobalsAt + 4
	imageHeader    = imageSumAt + 4
)

// errBadImage wraps why an image was not used.
var errBadImage = errors.New("initialization image not used")

// errImageOverCap is a good image whose memory is over the step's memory
// cap: not used, and kept for steps with a larger cap.
var errImageOverCap = errors.New("initialization image over the memory cap")

// pureAtInit are the WASI functions _initialize may call and still leave an
// image: they read argv, env, the preopens, stdio's flags, the clocks or
// random bytes, and change nothing. fd_fdstat_set_flags is pure on stdio
// only (stdioFlags).
func pureAtInit() map[string]bool {
	return map[string]bool{
		"args_sizes_get": true, "args_get": true,
		"environ_sizes_get": true, "environ_get": true,
		"clock_res_get": true, "clock_time_get": true, "random_get": true,
		"fd_prestat_get": true, "fd_prestat_dir_name": true, "fd_fdstat_get": true,
		"sched_yield": true,
	}
}

// initKey is the context key of the initRecorder of an _initialize call.
type initKey struct{}

// initRecorder notes the first host function an _initialize called that an
// image could not replay.
type initRecorder struct {
	mu     sync.Mutex
	pure   map[string]bool
	impure string // module.function; empty while every call was pure
}

func newInitRecorder() *initRecorder { return &initRecorder{pure: pureAtInit()} }

// noteInitCall records a call of module's function name with params when
// ctx is that of an _initialize.
func noteInitCall(ctx context.Context, module, name string, params []uint64) {
	rec, ok := ctx.Value(initKey{}).(*initRecorder)
	if !ok || module == wasiModule && (rec.pure[name] || stdioFlags(name, params)) {
		return
	}
	rec.mu.Lock()
	if rec.impure == "" {
		rec.impure = module + "." + name
	}
	rec.mu.Unlock()
}

// stdioFlags reports whether the call is fd_fdstat_set_flags on stdin,
// stdout or stderr. Go's os package makes each non-blocking as it starts.
// The host's streams are io.Reader and io.Writer, which wazero cannot make
// non-blocking or appending: the call fails or changes nothing, so an image
// need not replay it.
func stdioFlags(name string, params []uint64) bool {
	return name == "fd_fdstat_set_flags" && len(params) > 0 && uint32(params[0]) <= 2
}

func (rec *initRecorder) why() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.impure
}

// monoClock is a reactor instance's monotonic clock: it goes on from the
// reading its image was taken at, so that a guest initialized in an
// earlier process never sees its clock go back.
type monoClock struct {
	base int64
	t0   time.Time
}

func (c *monoClock) now() int64 { return c.base + int64(time.Since(c.t0)) }

// image returns the path of the image for this runner's instances, and its
// key; "" when the runner keeps none.
func (r *Runner) image() (string, [32]byte) {
	r.imageOnce.Do(func() {
		rm := r.mod.reactor
		if r.eng.disk == nil || rm == nil || !rm.envPerStep || rm.fresh != "" || r.opts.Deterministic != nil {
			return
		}
		bundle := ""
		if r.opts.Policy.Mount {
			bundle = r.opts.BundleDir
		}
		plan, err := planMounts(bundle, r.opts.Mounts)
		if err != nil {
			return // the step fails on its mounts anyway
		}
		h := sha256.New()
		fmt.Fprintf(h, "mixbox init image 1\x00%x\x00", r.mod.sum)
		for _, g := range rm.globals {
			fmt.Fprintf(h, "global %q\x00", g)
		}
		for _, p := range plan {
			fmt.Fprintf(h, "preopen %q\x00", p.guest)
		}
		copy(r.imageKey[:], h.Sum(nil))
		r.imagePath = filepath.Join(r.eng.disk.Dir(), hex.EncodeToString(r.imageKey[:])+".init")
	})
	return r.imagePath, r.imageKey
}

// initImage is an image file whose header passed its checks.
type initImage struct {
	f       *os.File
	header  []byte // imageHeader bytes and the globals' values
	nano    int64
	memLen  uint64
	globals []uint64
	sum     uint32
}

// openImage opens the image at path and checks its header against key, the
// module's global count and the memory limit. A missing image is
// fs.ErrNotExist, one over limit errImageOverCap; anything else wrong wraps
// errBadImage.
func openImage(path string, key [32]byte, nglobals int, limit uint64) (*initImage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	img, err := readImageHeader(f, key, nglobals, limit)
	if errors.Is(err, errImageOverCap) {
		_ = f.Close() // read only
		return nil, err
	}
	if err != nil {
		_ = f.Close() // read only
		return nil, fmt.Errorf("%w: %s: %w", errBadImage, path, err)
	}
	return img, nil
}

func readImageHeader(f *os.File, key [32]byte, nglobals int, limit uint64) (*initImage, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	n := imageHeader + 8*nglobals
	if st.Size() < int64(n) {
		return nil, errors.New("shorter than its header")
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	img := &initImage{f: f, header: hdr, nano: int64(le.Uint64(hdr[imageClockAt:])), memLen: le.Uint64(hdr[imageMemLenAt:]), sum: le.Uint32(hdr[imageSumAt:])}
	switch {
	case string(hdr[:imageKeyAt]) != imageMagic:
		return nil, errors.New("not an image of this version")
	case [32]byte(hdr[imageKeyAt:imageClockAt]) != key:
		return nil, errors.New("made for another module or configuration")
	case le.Uint32(hdr[imageGlobalsAt:]) != uint32(nglobals):
		return nil, fmt.Errorf("has %d globals, the module %d", le.Uint32(hdr[imageGlobalsAt:]), nglobals)
	case img.memLen%pageSize != 0:
		return nil, fmt.Errorf("memory of %d bytes is not whole pages", img.memLen)
	case uint64(st.Size()) != uint64(n)+img.memLen:
		return nil, fmt.Errorf("is %d bytes, its header says %d", st.Size(), uint64(n)+img.memLen)
	case img.nano < 0:
		return nil, errors.New("has a negative clock")
	}
	if img.memLen > limit {
		return nil, fmt.Errorf("%w: its memory is %d bytes, the cap %d", errImageOverCap, img.memLen, limit)
	}
	for i := range nglobals {
		img.globals = append(img.globals, le.Uint64(hdr[imageHeader+8*i:]))
	}
	return img, nil
}

// apply makes ri's memory and globals the image's, checking the CRC before
// any of it can run, and closes the image.
func (img *initImage) apply(ri *reactorInstance, globals []string) error {
	defer func() { _ = img.f.Close() }() // read only
	mem := ri.mod.Memory()
	if ri.mem == nil || mem == nil {
		return fmt.Errorf("%w: the module's memory is not the host's", errBadImage)
	}
	cur := uint64(len(ri.mem.buf))
	if img.memLen < cur {
		return fmt.Errorf("%w: its memory is smaller than the module's minimum", errBadImage)
	}
	if grow := (img.memLen - cur) / pageSize; grow > 0 {
		if _, ok := mem.Grow(uint32(grow)); !ok {
			return fmt.Errorf("%w: the memory cannot grow to %d bytes", errBadImage, img.memLen)
		}
	}
	if uint64(mem.Size()) != img.memLen || uint64(len(ri.mem.buf)) != img.memLen {
		return fmt.Errorf("%w: the memory is %d bytes, not %d", errBadImage, mem.Size(), img.memLen)
	}
	buf := ri.mem.buf[:img.memLen]
	if _, err := io.ReadFull(img.f, buf); err != nil {
		return fmt.Errorf("%w: read memory: %w", errBadImage, err)
	}
	hdr := img.header
	clear(hdr[imageSumAt:imageHeader])
	crc := crc32.Update(crc32.Checksum(hdr, castagnoli), castagnoli, buf)
	if crc != img.sum {
		return fmt.Errorf("%w: checksum mismatch", errBadImage)
	}
	for i, name := range globals {
		g, ok := ri.mod.ExportedGlobal(name).(api.MutableGlobal)
		if !ok {
			return fmt.Errorf("%w: global %s is not exported as mutable", errBadImage, name)
		}
		g.Set(img.globals[i])
	}
	return nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// saveImage writes the image of ri, which has just taken its snapshot.
func saveImage(path string, key [32]byte, ri *reactorInstance) error {
	mem := ri.mem.buf[:ri.mem.snapLen]
	n := imageHeader + 8*len(ri.values)
	b := make([]byte, n+len(mem))
	le := binary.LittleEndian
	copy(b, imageMagic)
	copy(b[imageKeyAt:], key[:])
	nano := ri.mono.now()
	if ri.clock != nil { // KeepImage's deterministic clock
		nano = ri.clock.mono.Load()
	}
	le.PutUint64(b[imageClockAt:], uint64(nano))
	le.PutUint64(b[imageMemLenAt:], uint64(len(mem)))
	le.PutUint32(b[imageGlobalsAt:], uint32(len(ri.values)))
	for i, v := range ri.values {
		le.PutUint64(b[imageHeader+8*i:], v)
	}
	copy(b[n:], mem)
	le.PutUint32(b[imageSumAt:], crc32.Checksum(b, castagnoli))
	return compcache.WriteFile(path, b)
}

// wasiModule is the import module of WASI preview 1.
const wasiModule = "wasi_snapshot_preview1"

// KeepImage makes the initialization image of the runner's module for its
// options and keeps it in the disk cache, if one may be kept; it reports
// whether one is kept. `mixbox precompile` calls it, so that an invocation
// image's cache starts every run from the image, not from _initialize. The
// instance it initializes has deterministic clocks and random bytes, so that
// two builds of an invocation image have the same image. It must not run
// with steps of the same runner.
func (r *Runner) KeepImage(ctx context.Context) (bool, error) {
	r.imageClocks = &Deterministic{}
	defer func() { r.imageClocks = nil }()
	path, _ := r.image()
	if path == "" || r.mod.compiled == nil {
		return false, nil
	}
	limits, capPages := r.stepLimits()
	if r.mod.minPages > capPages {
		return false, nil
	}
	inst := r.newInstance("initialization", limits, io.Discard, io.Discard, func(string) {}, func(string) {}, false)
	stepCtx, cancel := context.WithTimeout(ctx, limits.StepTimeout)
	defer cancel()
	err := r.wait(stepCtx, func() error {
		ri, err := r.newReactor(withInstance(stepCtx, inst), step.Input{Mixin: r.mod.name, Action: "install"}, inst, capPages, "")
		if err != nil {
			return err
		}
		r.discard(stepCtx, ri)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("initialize mixin %s: %w", r.mod.name, err)
	}
	_, err = os.Stat(path)
	return err == nil, nil
}
