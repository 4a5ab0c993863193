package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/skip2/go-qrcode"

	"github.com/undox/undox"
	"github.com/undox/undox/staff"
)

// userCmd is `undox user add|list|reset|disable|enable`: staff accounts
// for the pages.
func userCmd(ctx context.Context, args, env []string, stdin io.Reader, stdout, stderr io.Writer) error {
	const usage = "usage: undox user add --email E --role R [--name N] [--password-stdin] [--no-qr]\n" +
		"       undox user list [--json]\n" +
		"       undox user reset --email E [--password-stdin] [--no-qr]\n" +
		"       undox user disable --email E\n" +
		"       undox user enable --email E"
	if len(args) == 0 {
		return usageError(usage)
	}
	switch args[0] {
	case "add":
		var (
			email, roleName, name string
			fromStdin, noQR       bool
			role                  undox.Role
		)
		return withApp(ctx, "user add", args[1:], env, stderr, func(fs *flag.FlagSet, _ *config) {
			fs.StringVar(&email, "email", "", "the address the user logs in with")
			fs.StringVar(&roleName, "role", "", "analyst, supervisor, admin or auditor (read-only)")
			fs.StringVar(&name, "name", "", "the name the pages and the audit log show (default: the address's part before @)")
			fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input instead of generating one")
			fs.BoolVar(&noQR, "no-qr", false, "print no QR code, only the enrolment URI")
		}, func(*config) error {
			if email == "" || roleName == "" {
				return usageError(usage)
			}
			var err error
			if role, err = undox.ParseRole(roleName); err != nil || role == undox.RolePartner {
				return usageError("--role: analyst, supervisor, admin or auditor (partners get an API token)")
			}
			if _, err := undox.NormalizeEmail("email", email); err != nil {
				return usageError("--email: " + undox.ErrorMessage(err))
			}
			if name == "" {
				name, _, _ = strings.Cut(strings.TrimSpace(email), "@")
			}
			return nil
		}, func(a *app) error {
			password, generated, err := newPassword(stdin, fromStdin)
			if err != nil {
				return err
			}
			acc, err := staff.NewAccount(email, name, role, password)
			if err != nil {
				return err
			}
			u, err := a.store.CreateUser(ctx, cliActor, acc.NewUser)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Created %s account %d for %s (%s).\n", u.Role, u.ID, u.Email, u.Name)
			return printCredentials(stdout, password, generated, acc.URI, noQR)
		})
	case "reset":
		var (
			email           string
			fromStdin, noQR bool
		)
		return withApp(ctx, "user reset", args[1:], env, stderr, func(fs *flag.FlagSet, _ *config) {
			fs.StringVar(&email, "email", "", "the account's address")
			fs.BoolVar(&fromStdin, "password-stdin", false, "read the new password from standard input instead of generating one")
			fs.BoolVar(&noQR, "no-qr", false, "print no QR code, only the enrolment URI")
		}, func(*config) error {
			if email == "" {
				return usageError(usage)
			}
			if _, err := undox.NormalizeEmail("email", email); err != nil {
				return usageError("--email: " + undox.ErrorMessage(err))
			}
			return nil
		}, func(a *app) error {
			u, err := a.store.UserByEmail(ctx, cliActor, email)
			if err != nil {
				return err
			}
			password, generated, err := newPassword(stdin, fromStdin)
			if err != nil {
				return err
			}
			c, err := staff.NewCredentials(u.Email, password)
			if err != nil {
				return err
			}
			if u, err = a.store.ResetCredentials(ctx, cliActor, u.ID, c.PasswordHash, c.TOTPSecret); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Reset the password and TOTP of %s account %d for %s (%s): the old ones no longer work, and its sessions have ended.\n",
				u.Role, u.ID, u.Email, u.Name)
			if u.Disabled() {
				fmt.Fprintf(stdout, "The account stays disabled until undox user enable --email %s.\n", u.Email)
			}
			return printCredentials(stdout, password, generated, c.URI, noQR)
		})
	case "list":
		var asJSON bool
		return withApp(ctx, "user list", args[1:], env, stderr, func(fs *flag.FlagSet, _ *config) {
			fs.BoolVar(&asJSON, "json", false, "print JSON")
		}, nil, func(a *app) error {
			users, err := a.store.Users(ctx, cliActor)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if users == nil {
					users = []*undox.User{}
				}
				return enc.Encode(map[string]any{"users": users})
			}
			for _, u := range users {
				state := "active"
				switch {
				case u.Disabled():
					state = "disabled"
				case !u.TOTP:
					state = "no-totp"
				}
				fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role, state)
			}
			return nil
		})
	case "disable", "enable":
		var email string
		verb := args[0]
		return withApp(ctx, "user "+verb, args[1:], env, stderr, func(fs *flag.FlagSet, _ *config) {
			fs.StringVar(&email, "email", "", "the account's address")
		}, func(*config) error {
			if email == "" {
				return usageError(usage)
			}
			return nil
		}, func(a *app) error {
			change, done := a.store.DisableUser, "its sessions have ended"
			if verb == "enable" {
				change, done = a.store.EnableUser, "it logs in with the password and TOTP it had"
			}
			u, err := change(ctx, cliActor, email)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%sd account %d (%s); %s\n", verb, u.ID, u.Name, done)
			return nil
		})
	}
	return usageError(usage)
}

// newPassword reads a password from standard input, or generates one
// (generated: it must be shown, once).
func newPassword(stdin io.Reader, fromStdin bool) (password string, generated bool, err error) {
	if !fromStdin {
		password, err = staff.GeneratePassword()
		if err != nil {
			return "", false, fmt.Errorf("generate a password: %w", err)
		}
		return password, true, nil
	}
	// The password comes from standard input, never from the command
	// line, where shell history and ps keep it.
	line, err := bufio.NewReader(io.LimitReader(stdin, staff.MaxPasswordLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

// printCredentials prints a generated password (only those: a password
// from standard input is the operator's own) and the TOTP enrolment, as
// a URI and, unless noQR, a QR code.
func printCredentials(stdout io.Writer, password string, generated bool, uri string, noQR bool) error {
	if generated {
		fmt.Fprintf(stdout, "\nPassword (shown only now; keep it secret):\n%s\n", password)
	}
	fmt.Fprintf(stdout, "\nLogging in also takes a code from an authenticator app. Enrol it by scanning the QR code,\n"+
		"or by adding this URI (or its secret) to the app:\n%s\n", uri)
	if noQR {
		return nil
	}
	q, err := qrcode.New(uri, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("draw the enrolment QR code: %w", err)
	}
	fmt.Fprintf(stdout, "\n%s", q.ToSmallString(false))
	return nil
}
