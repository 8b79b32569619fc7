// echo is a C guest (clang + wasi-libc) of the mixbox_v1 ABI: it reads the
// rendered step from stdin, runs `echo <message>` through mixbox_v1.exec,
// reads the ExecResult with response_read starting from a 16-byte buffer
// that it doubles on E_TOOSMALL, and sets outputs:
//
//	stdin       the step YAML it received
//	argv        its arguments, joined by spaces
//	env         its environment, one variable a line
//	echo        the ExecResult JSON
//	reads       how many response_read calls that took
//	read_after  response_read once more: E_NORESPONSE (-8)
//	exec_rc     exec's result when it is an error (and the guest exits 1)
//
// Its mixbox.mixin section declares `exec: [echo]`, which the default policy
// grants; an operator policy decides instead when given.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIXBOX_IMPORT(name) __attribute__((import_module("mixbox_v1"), import_name(name)))

MIXBOX_IMPORT("exec") int32_t mixbox_exec(const char *req, uint32_t req_len);
MIXBOX_IMPORT("response_read") int32_t mixbox_response_read(char *buf, uint32_t buf_cap);
MIXBOX_IMPORT("output_set")
int32_t mixbox_output_set(const char *name, uint32_t name_len, const char *val, uint32_t val_len);
MIXBOX_IMPORT("log") int32_t mixbox_log(int32_t level, const char *msg, uint32_t msg_len);

enum { E_TOOSMALL = -6 };

// The custom section mixbox.mixin (abi-v1 §6). clang 14 turns a
// section(".custom_section.X") variable into a data segment, so it is
// emitted with assembler directives instead.
__asm__(".section .custom_section.mixbox.mixin,\"\",@\n"
	".ascii \"name: probe\\n\"\n"
	".ascii \"version: v0.1.0\\n\"\n"
	".ascii \"abi: mixbox_v1\\n\"\n"
	".ascii \"capabilities:\\n\"\n"
	".ascii \"  exec: [echo]\\n\"\n"
	".text\n");

extern char **environ;

// buf is a growable byte buffer.
struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n) {
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL) {
			fputs("out of memory\n", stderr);
			exit(2);
		}
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_buf(struct buf *b, const char *s) { put(b, s, strlen(s)); }

static void output(const char *name, const char *val, size_t len) {
	int32_t rc = mixbox_output_set(name, strlen(name), val, len);
	if (rc != 0) {
		fprintf(stderr, "output_set %s: %d\n", name, rc);
		exit(1);
	}
}

static void output_int(const char *name, int32_t v) {
	char s[16];
	int n = snprintf(s, sizeof s, "%d", v);
	output(name, s, (size_t)n);
}

// message returns the value of the step's "message:" field, unquoted.
static struct buf message(const char *yaml) {
	struct buf m = {0};
	const char *at = strstr(yaml, "message: ");
	if (at == NULL) {
		puts_buf(&m, "no message");
		return m;
	}
	at += strlen("message: ");
	size_t n = strcspn(at, "\n");
	if (n >= 2 && (at[0] == '"' || at[0] == '\'') && at[n - 1] == at[0]) {
		at++;
		n -= 2;
	}
	put(&m, at, n);
	return m;
}

int main(int argc, char **argv) {
	struct buf in = {0};
	char chunk[512];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		put(&in, chunk, n);
	}
	put(&in, "", 0);
	output("stdin", in.p, in.len);

	struct buf args = {0};
	for (int i = 0; i < argc; i++) {
		if (i > 0) {
			puts_buf(&args, " ");
		}
		puts_buf(&args, argv[i]);
	}
	put(&args, "", 0);
	output("argv", args.p, args.len);

	struct buf env = {0};
	for (char **e = environ; *e != NULL; e++) {
		puts_buf(&env, *e);
		puts_buf(&env, "\n");
	}
	put(&env, "", 0);
	output("env", env.p, env.len);

	struct buf msg = message(in.p);
	struct buf req = {0};
	puts_buf(&req, "{\"command\":\"echo\",\"args\":[\"");
	for (size_t i = 0; i < msg.len; i++) {
		char c = msg.p[i];
		if (c == '"' || c == '\\') {
			put(&req, "\\", 1);
		}
		put(&req, &c, 1);
	}
	puts_buf(&req, "\"],\"stream\":false}");

	int32_t rc = mixbox_exec(req.p, req.len);
	if (rc < 0) {
		output_int("exec_rc", rc);
		fprintf(stderr, "exec echo: %d\n", rc);
		return 1;
	}

	uint32_t cap = 16;
	char *resp = malloc(cap);
	int32_t reads = 0, got;
	for (;;) {
		reads++;
		got = mixbox_response_read(resp, cap);
		if (got != E_TOOSMALL) {
			break;
		}
		cap *= 2;
		resp = realloc(resp, cap);
		if (resp == NULL) {
			fputs("out of memory\n", stderr);
			return 2;
		}
	}
	if (got < 0) {
		fprintf(stderr, "response_read: %d\n", got);
		return 1;
	}
	output("echo", resp, (size_t)got);
	output_int("reads", reads);
	output_int("read_after", mixbox_response_read(resp, cap));

	static const char done[] = "c guest done";
	mixbox_log(1, done, sizeof done - 1);
	return 0;
}
