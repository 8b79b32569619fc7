// Package mask replaces sensitive values in everything mixbox prints.
//
// A Set holds the values; a Writer masks a stream against a Set. Unlike
// Porter's per-Write replacement, a Writer works on the stream: a value split
// across two writes is still masked, because the Writer holds back a tail
// that could be the start of a value until the next write or Flush resolves
// it.
//
//	set := mask.NewSet()
//	w := mask.NewWriter(os.Stdout, set)
//	set.Add("s3cr3t")
//	fmt.Fprint(w, "pw=s3c")
//	fmt.Fprint(w, "r3t\n") // prints "pw=*******"
//	w.Flush()
//
// # Notes
//
// Values that are empty after trimming white space are ignored, as in
// Porter. A Writer never holds back more than the longest value minus one
// byte.
package mask
