// Package modules loads wasm mixins for the host: it checks and compiles
// each module once per process, keeps the compiled code on disk between
// processes, and starts a module whose compiled code is not cached yet on
// wazero's interpreter while the compiler fills the cache.
//
//	store := modules.New(modules.Options{CacheDir: dir, Version: "v1.2.3"})
//	defer store.Close(ctx)
//	l, err := store.Load(ctx, "exec", "built-in exec", bin)
//	// l.Engine and l.Module make a wasm.Runner.
//
// A Store outlives runs and holds nothing of any one run: it is safe for
// concurrent use by several runs at once.
//
// # Notes
//
// The disk cache is package compcache's: wazero's compilation cache with a
// file cache whose entries mixbox writes atomically and checks (header and
// CRC-32C over the whole entry) before wazero reads them. A damaged entry
// is discarded and the module compiled again, with one note in
// Loaded.Notes; a cache directory that another user can write is not used
// at all (the note says why) and modules run on the interpreter. Beside the
// entries the Store writes one marker per module,
// `mixbox-<sha256>.compiled`, once the compiler has cached it, so that the
// next process knows before loading whether the module is warm. Precompile
// fills the cache the same way when an invocation image is built, and, with
// Claim, after a short run that left its cold modules to it
// (Options.CompileLater, cold.go): it holds `mixbox-<sha256>.filling` while
// it compiles one.
package modules
