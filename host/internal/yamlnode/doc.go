// Package yamlnode walks yaml.v3 nodes for the hand-written parsers of
// mixbox's YAML files (the manifest, the policy, mixin-test cases, exec
// lists): a mapping walk that refuses duplicate and non-string keys, typed
// readers for strings, lists, string maps, integers and booleans, and one
// error type that carries the line (and the file, where the caller has one).
//
//	doc, err := yamlnode.Parse(data) // a syntax error is an *Error with its line
//	err = yamlnode.Mapping(doc.Content[0], "", func(k string, kn, v *yaml.Node) error {
//		switch k {
//		case "name":
//			s.Name, err = yamlnode.Str(v, k)
//			return err
//		}
//		return yamlnode.Unknown(kn, "", "name")
//	})
//
// Keys in errors are dotted paths built with Join and Index, such as
// "mixins.helm3.exec[0].args"; lists are indexed from 0.
//
// # Notes
//
// Aliases are followed: an alias reads as the node it names. Null (`~`,
// `null` or nothing) is an empty mapping for Mapping and StrMap and no list
// for Strs; Str, Int and Bool refuse it. The package does not decide what a
// key means, nor which keys are known: callers switch on the key and call
// Unknown for the rest, so each file keeps its own list of keys.
//
// Parse and the readers never panic, whatever the input; FuzzParse guards
// Parse.
package yamlnode
