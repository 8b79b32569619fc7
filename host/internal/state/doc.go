// Package state unpacks and packs Porter's state bag, porter-state: a gzip'd
// tar whose entries are porter-state/<name>, one per state variable of the
// manifest (`state:`).
//
// Before the steps, Unpack reads the previous state (the porter-state
// parameter at /porter/state.tgz, base64 text as cnab-go writes it, raw
// tar.gz, the literal "null" or empty for none) and writes each entry to the
// path of its variable. After the steps, always, Pack writes the current
// files to /cnab/app/outputs/porter-state, skipping missing ones.
package state
