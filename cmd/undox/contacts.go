package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/undox/undox"
)

// contactsCmd is `undox contacts add|list|remove`: the contact book from
// the command line.
func contactsCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	const usage = "usage: undox contacts add --scope domain|network|asn|org --key KEY --role ROLE --name NAME [--email …] [--web-form URL] [--api URL] [--language nl|en] [--country CC] [--platform] [--notes …]\n" +
		"       undox contacts list [--json]\n" +
		"       undox contacts remove ID"
	if len(args) == 0 {
		return usageError(usage)
	}
	switch args[0] {
	case "add":
		var c undox.Contact
		var scope string
		return withApp(ctx, "contacts add", args[1:], env, stderr, func(fs *flag.FlagSet, _ *config) {
			fs.StringVar(&scope, "scope", "", "domain, network, asn or org")
			fs.StringVar(&c.Key, "key", "", "the domain, CIDR, AS number or organisation name")
			fs.StringVar(&c.Role, "role", "", strings.Join(undox.RecipientRoles(), ", "))
			fs.StringVar(&c.Name, "name", "", "the organisation, as notices address it")
			fs.StringVar(&c.Email, "email", "", "abuse e-mail address")
			fs.StringVar(&c.WebForm, "web-form", "", "URL of an abuse form")
			fs.StringVar(&c.API, "api", "", "URL of a notice API")
			fs.StringVar(&c.Language, "language", "", "preferred language of notices: nl or en")
			fs.StringVar(&c.Country, "country", "", "ISO 3166 alpha-2 country code")
			fs.BoolVar(&c.Platform, "platform", false, "the site handles notices itself (a social network, forum or paste host)")
			fs.StringVar(&c.Notes, "notes", "", "notes for analysts")
		}, nil, func(a *app) error {
			c.Scope = undox.ContactScope(scope)
			out, err := a.store.PutContact(ctx, cliActor, c)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "added contact %d: %s %s %s → %s\n", out.ID, out.Scope, out.Key, out.Role, channel(out))
			return nil
		})
	case "list":
		var asJSON bool
		return withApp(ctx, "contacts list", args[1:], env, stderr, func(fs *flag.FlagSet, _ *config) {
			fs.BoolVar(&asJSON, "json", false, "print JSON")
		}, nil, func(a *app) error {
			cs, err := a.store.Contacts(ctx, cliActor)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"contacts": cs})
			}
			for _, c := range cs {
				fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Scope, c.Key, c.Role, c.Name, channel(c))
			}
			return nil
		})
	case "remove":
		if len(args) < 2 {
			return usageError(usage)
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return usageError("remove: the contact's id is a number")
		}
		return withApp(ctx, "contacts remove", args[2:], env, stderr, nil, nil, func(a *app) error {
			if err := a.store.RemoveContact(ctx, cliActor, id); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "removed contact %d (its history stays)\n", id)
			return nil
		})
	}
	return usageError(usage)
}

// channel is how an entry is reached, for display.
func channel(c *undox.Contact) string {
	var parts []string
	for _, v := range []string{c.Email, c.WebForm, c.API} {
		if v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, ", ")
}
