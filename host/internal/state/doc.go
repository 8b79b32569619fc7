// Package state unpacks and packs Porter's state bag, porter-state: a gzip'd
// tar whose entries are porter-state/<name>, one per state variable of the
// manifest (`state:`).
//
// Before the steps, Open reads the previous state (the porter-state
// parameter at /porter/state.tgz, base64 text as cnab-go writes it, raw
// tar.gz, the literal "null" or empty for none) as a stream, and Unpack
// writes each entry to the path of its variable. After the steps, always,
// Pack writes the current files to /cnab/app/outputs/porter-state, skipping
// missing ones.
//
//	bag, err := state.Open(root, root+"/porter/state.tgz") // nil: no state
//	names, err := state.Unpack(bag, root, vars)
//	err = state.Pack(root+"/cnab/app/outputs/porter-state", root, vars)
//
// # Security
//
// Every file is read and written through an os.Root at the run's root
// (--cnab-root; "/" in an image), like the guest's mounts: a state path that
// leads outside the root through a symbolic link shipped in the bundle
// fails with ErrOutside, so the bag is never unpacked outside the root and
// nothing outside it is packed into porter-state. An unpacked file is
// written under a temporary name and renamed, so a symbolic link at its own
// path is replaced, not followed. Entries that are not regular files, or
// whose names hold a separator (`..`, absolute names), are skipped. Files
// are opened without blocking and must be regular files (a FIFO cannot hang
// the run).
//
// # Notes
//
// Nothing is held in memory: entries stream from the bag to their files and
// back. A state file over MaxFile, or a bag unpacking to more than
// MaxUnpacked, fails with ErrLimit and the limit's name; nothing is ever
// cut short silently.
package state
