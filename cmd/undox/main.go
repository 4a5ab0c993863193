// Command undox is the whole undox platform in one binary: the web server
// and its job workers, extra workers for PostgreSQL, migrations, API
// tokens and the audit log's verification.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, errorLine(err))
		os.Exit(exitCode(err))
	}
}

const usage = `undox gets doxing content taken offline.

Usage:
  undox serve        web server and job workers (the default way to run undox)
  undox worker       job workers only (PostgreSQL; more processes share the queue)
  undox migrate      apply database migrations and exit
  undox token create --role ROLE --name NAME
                     print a new API token (roles: analyst, supervisor, admin, partner, auditor)
  undox token list [--json]
                     the API tokens: id, name, role, staff account, created, revoked (never the secret)
  undox token revoke ID
                     end an API token at once (audited)
  undox capture URL [--json] [--screenshot]
                     fetch one page safely and show what undox sees (no case is made)
  undox export case REF -o FILE.zip
                     write a case's evidence bundle: files, facts, audit proofs, signed checkpoint, report
  undox verify FILE.zip [--key KEY]
                     check an evidence bundle offline; names what does not match
  undox trace URL [--json] [--no-fetch]
                     who hosts a page and whom to notify: DNS, RDAP, WHOIS, CDN, security.txt
  undox rdap refresh --dir DIR
                     fetch the IANA RDAP bootstrap files (on a machine with internet)
  undox scan FILE|- [--identifiers FILE.jsonl] [--json]
                     personal data on a page, and the protected persons it doxes
  echo VALUE | undox watch add --case REF --kind KIND
                     watch for an identifier of a protected person (read from standard input)
  undox watch reindex [--rotate-key]
                     rebuild the watch index (under a new key)
  undox notice preview ITEM --notifier-name NAME --mail-from ADDRESS
                     the notice that confirming ITEM would send, from its latest trace (nothing is sent)
  undox policy default|check FILE
                     print the default takedown policy, or validate a policy file
  undox contacts add|list|remove
                     the contact book: abuse desks that take precedence over lookups
  undox site add URL [--every 6h] [--max-pages 200]
                     watch a known doxing site: serve crawls it for protected persons
                     (also: site list, site stop|resume|crawl ID)
  undox user add --email E --role ROLE [--name N]
                     a staff account for the pages: prints its password and TOTP enrolment
                     (also: user list, user reset, user disable, user enable)
  undox stats providers [--year YYYY] [--format csv|json]
                     providers ranked by ignored notices and time to removal: the yearly report on bad hosting
  undox audit verify check the audit log against its signed checkpoints
  undox audit checkpoint
                     integrate the audit log now and print the signed checkpoint
  undox version      print the version

Every command takes --data DIR (UNDOX_DATA) and --database URL (UNDOX_DATABASE_URL);
run "undox COMMAND -h" for its options.
`

// run is undox's main, testable: arguments, environment and output are
// passed in, and it returns when ctx is cancelled or the command is done.
func run(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, env, stdout, stderr, true)
	case "worker":
		return serve(ctx, rest, env, stdout, stderr, false)
	case "capture":
		return captureCmd(ctx, rest, env, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, env, stdout, stderr)
	case "token":
		return tokenCmd(ctx, rest, env, stdout, stderr)
	case "audit":
		if len(rest) > 0 && rest[0] == "verify" {
			return auditVerify(ctx, rest[1:], env, stdout, stderr)
		}
		if len(rest) > 0 && rest[0] == "checkpoint" {
			return auditCheckpoint(ctx, rest[1:], env, stdout, stderr)
		}
		return usageError("usage: undox audit verify | undox audit checkpoint")
	case "export":
		if len(rest) == 0 || rest[0] != "case" {
			return usageError("usage: undox export case REF -o FILE.zip")
		}
		return exportCase(ctx, rest[1:], env, stdout, stderr)
	case "verify":
		return verifyBundle(ctx, rest, env, stdout, stderr)
	case "trace":
		return traceCmd(ctx, rest, env, stdout, stderr)
	case "rdap":
		return rdapRefreshCmd(ctx, rest, env, stdout, stderr)
	case "watch":
		return watchCmd(ctx, rest, env, os.Stdin, stdout, stderr)
	case "scan":
		return scanCmd(ctx, rest, env, os.Stdin, stdout, stderr)
	case "notice":
		return noticeCmd(ctx, rest, env, stdout, stderr)
	case "policy":
		return policyCmd(ctx, rest, env, stdout, stderr)
	case "contacts":
		return contactsCmd(ctx, rest, env, stdout, stderr)
	case "site":
		return siteCmd(ctx, rest, env, stdout, stderr)
	case "stats":
		return statsCmd(ctx, rest, env, stdout, stderr)
	case "user":
		return userCmd(ctx, rest, env, os.Stdin, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "undox", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError(fmt.Sprintf("unknown command %q", cmd))
}

// errorLine is the line undox prints for err: "undox: " and the error,
// without the "undox: " that undox's own errors start with already
// ("undox: conflict: …", not "undox: undox: conflict: …").
func errorLine(err error) string {
	return "undox: " + strings.TrimPrefix(err.Error(), "undox: ")
}

type usageError string

func (e usageError) Error() string { return string(e) }

func exitCode(err error) int {
	if _, ok := err.(usageError); ok {
		return 2
	}
	return 1
}
