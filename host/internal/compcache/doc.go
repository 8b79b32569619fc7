// Package compcache is mixbox's on-disk cache of compiled wasm code: the
// file cache behind wazero's compilation cache, in a format that mixbox
// owns and checks before wazero reads a byte of it.
//
//	c, err := compcache.Open(dir) // errors.Is(err, compcache.ErrUnsafeDir): do not load from dir
//	cfg := wazero.NewRuntimeConfigCompiler().WithCompilationCache(c.Wazero())
//	...
//	for _, n := range c.TakeNotes() { warn(n) } // entries that were discarded, and why
//
// Each entry is one file named by wazero's key (a hash of the module's
// bytes, wazero's configuration and the CPU features) in a directory named
// for the wazero version, GOOS and GOARCH. The file starts with a header
// that repeats the key and the wazero version and holds the body's length
// and a CRC-32C over the header and the body; the body is wazero's
// serialised compiled module. The body's checksum leaves out the compiled
// code itself, which wazero checks with a CRC-32C of its own as it reads
// it. Get checks all of it before it hands the body to wazero: a file that
// is empty, truncated, padded, for another key or another wazero, or whose
// checksum fails is removed, a note says so, and wazero compiles the module
// again (and Add writes a good entry); an entry whose code wazero refuses is
// removed the same way (Discard) by package wasm, which compiles again. Add
// writes a temporary file, syncs it and renames it into place, so a reader
// never sees half an entry.
//
// # Stand-ins
//
// A module compiled before is loaded through a stand-in (package wasm:
// its bodies all `unreachable`), which wazero decodes and validates
// quickly; Serve answers the stand-in's lookup with the module's own
// entry. Alias keeps, per module, the entry's key, the stand-in's key and
// the function count; Record and Capture learn them from two compiles.
// RATIONALE.md, "Why does a warm load compile a stand-in?".
//
// # Security
//
// Compiled code is machine code that runs in mixbox's process: whoever can
// write the cache can run code as the user of any later run. Open refuses a
// directory (the cache dir or its entry directory) that is not owned by the
// current user (or root), or that its group or others can write, with
// ErrUnsafeDir and the reason; the caller then runs without it. The
// checksum catches accidents (a crash, a full disk, a bit flip, a file
// copied from elsewhere), not an attacker: one who can write the directory
// could write a valid checksum too, which is why such a directory is not
// used at all. RATIONALE.md ("Why does mixbox own the compile cache's file
// format?") says why the checksum is CRC-32C and how the file cache is
// plugged into wazero.
//
// # Notes
//
// wazero v1.12 has no public interface for a file cache: Open sets the
// file cache of a wazero.CompilationCache through reflection, checked at
// run time (ErrNoHook when the field is not there or has another type), and
// TestOpen_hooksWazero fails when a wazero upgrade changes it. The package
// does not decide whether a module is compiled or interpreted; package
// modules does.
package compcache
