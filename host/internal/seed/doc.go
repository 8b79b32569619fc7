// Package seed carries a compile cache inside a file: the compiled code of
// mixbox's built-in mixins, appended to the mixbox executable when it is
// built (make build), so that a run whose cache is empty (a container of a
// bundle built by Porter, a first run on a laptop) starts warm instead of
// on wazero's interpreter (RATIONALE.md, "Why does mixbox carry its
// built-in's compiled code?").
//
//	s, err := seed.Open(exe) // nil, nil: exe carries no seed
//	if stub, ok := s.Stub(sum); ok && stub == keyHere && s.Dir() == entryDir {
//		err = s.Unpack(cacheDir) // the files `mixbox precompile` writes
//	}
//
// A seed is what `mixbox precompile` wrote into an empty cache directory:
// a header that names the cache's entry directory (wazero's version, GOOS,
// GOARCH) and, for each module, its sha256 and the key wazero gave the
// module's stand-in on the machine that made it; then one record per file,
// its name, its size and its bytes compressed with S2, which decodes at
// several GB/s (RATIONALE.md has the figures). The compiled code serves
// only a CPU with the same features, which the caller checks
// (wasm.Engine.StandInKey) before it unpacks. A trailer at the file's end
// gives the seed's length. The header and the body each carry a CRC-32C,
// checked before anything is written; Unpack writes only the file names a
// cache holds, each through a temporary file renamed into place, the
// markers last, and package compcache checks every entry again when it is
// used.
package seed
