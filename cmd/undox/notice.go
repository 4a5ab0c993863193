package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/mail"
	"github.com/undox/undox/notice"
	"github.com/undox/undox/policy"
	"github.com/undox/undox/takedown"
)

// takedownOptions are the options of the takedown procedure: how notices
// are sent and whom they name as the notifier.
type takedownOptions struct {
	smtpURL        string
	imapURL        string
	mailFrom       string
	policyFile     string
	notifierName   string
	notifierOrg    string
	notifierEmail  string
	trustedFlagger string
	every          time.Duration
}

// takedownFlags registers the takedown options.
func takedownFlags(fs *flag.FlagSet, c *config) {
	o := &c.takedown
	fs.StringVar(&o.smtpURL, "smtp", "", "SMTP server that notices go through: smtp://user:pass@host:port (STARTTLS) or smtps://… (UNDOX_SMTP_URL)")
	fs.StringVar(&o.imapURL, "imap", "", "IMAP mailbox that replies and bounces to notices arrive in, read every --takedown-every: imap://user:pass@host:port/MAILBOX (STARTTLS) or imaps://… (UNDOX_IMAP_URL)")
	fs.StringVar(&o.mailFrom, "mail-from", "", "address notices come from; replies and bounces come back to it, tagged per notice (UNDOX_MAIL_FROM)")
	fs.StringVar(&o.policyFile, "policy", "", "takedown policy file (default: the built-in policy; see undox policy default) (UNDOX_POLICY)")
	fs.StringVar(&o.notifierName, "notifier-name", "", "who submits notices, as they name the notifier (DSA art. 16(2)(c)): the hotline, or a team or person of it (default: --notifier-organisation) (UNDOX_NOTIFIER_NAME)")
	fs.StringVar(&o.notifierOrg, "notifier-organisation", "", "the hotline's organisation, as notices give it after the notifier's name when it differs, and as the trusted flagger (default: --notifier-name) (UNDOX_NOTIFIER_ORGANISATION)")
	fs.StringVar(&o.notifierEmail, "notifier-email", "", "the notifier's e-mail address in notices (DSA art. 16(2)(c)) (default: --mail-from) (UNDOX_NOTIFIER_EMAIL)")
	fs.StringVar(&o.trustedFlagger, "trusted-flagger", "", "the hotline's trusted-flagger designation under DSA art. 22 (UNDOX_TRUSTED_FLAGGER)")
	fs.DurationVar(&o.every, "takedown-every", time.Minute, "how often the escalation ladder, the replies mailbox and the victims' timelines are looked at (UNDOX_TAKEDOWN_EVERY)")
}

// takedownService wires the takedown procedure from c.
func (a *app) takedownService(c *config) (*takedown.Service, error) {
	o := &c.takedown
	smtpURL := o.smtpURL
	pol := policy.Default()
	if o.policyFile != "" {
		var err error
		if pol, err = policy.Load(o.policyFile); err != nil {
			return nil, usageError("--policy: " + err.Error())
		}
	}
	cfg := takedown.Config{Store: a.store, From: o.mailFrom, Policy: pol, Logger: a.log, PublicURL: c.publicURL,
		Notifier:       notice.Notifier{Name: o.notifierName, Organisation: o.notifierOrg, Email: o.notifierEmail},
		TrustedFlagger: notice.TrustedFlagger{Designation: o.trustedFlagger}}
	if cfg.PublicURL == "" && c.addr != "" {
		cfg.PublicURL = "http://" + c.addr // as serve defaults it
	}
	if smtpURL != "" {
		if err := o.checkNotifier("--smtp"); err != nil {
			return nil, err
		}
		s, err := mail.NewSender(mail.Config{URL: smtpURL, From: o.mailFrom})
		if err != nil {
			return nil, usageError("--smtp: " + err.Error())
		}
		cfg.Sender = s
	}
	svc, err := takedown.New(cfg)
	if err != nil {
		return nil, usageError(err.Error())
	}
	if o.imapURL != "" {
		mb, err := mail.NewMailbox(mail.MailboxConfig{URL: o.imapURL})
		if err != nil {
			return nil, usageError("--imap: " + err.Error())
		}
		svc.SetMailbox(mb)
	}
	return svc, nil
}

// checkNotifier says in one line which options a notice still needs: it
// names the notifier and its e-mail address (DSA art. 16(2)(c)), and comes
// from --mail-from.
func (o *takedownOptions) checkNotifier(what string) error {
	var missing []string
	if o.mailFrom == "" {
		missing = append(missing, "--mail-from (UNDOX_MAIL_FROM)")
	}
	if o.notifierName == "" && o.notifierOrg == "" {
		missing = append(missing, "--notifier-name (UNDOX_NOTIFIER_NAME)")
	}
	if len(missing) == 0 {
		return nil
	}
	return usageError(what + " needs " + strings.Join(missing, " and ") + ": a notice names the notifier and its e-mail address, and is sent from --mail-from")
}

// noticeCmd is `undox notice preview ITEM`: the notice that confirming the
// item would send, from its latest trace, rendered without sending.
func noticeCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	const usage = "usage: undox notice preview ITEM --notifier-name NAME --mail-from ADDRESS [--notifier-organisation ORG] [--notifier-email ADDRESS] [--trusted-flagger DESIGNATION] [--imap URL] [--public-url URL] [--policy FILE]"
	if len(args) < 1 || args[0] != "preview" {
		return usageError(usage)
	}
	c := &config{}
	fs := newFlags("notice preview", c, stderr)
	fs.StringVar(&c.publicURL, "public-url", "", "base URL of undox as recipients reach it, for the response link (UNDOX_PUBLIC_URL)")
	takedownFlags(fs, c)
	item, err := parseOne(fs, args[1:], env)
	if err != nil {
		return err
	}
	if item == "" {
		return usageError(usage)
	}
	id, err := strconv.ParseInt(item, 10, 64)
	if err != nil || id < 1 {
		return usageError("ITEM must be an item's id\n" + usage)
	}
	if err := c.takedown.checkNotifier("undox notice preview"); err != nil {
		return err
	}
	a, err := c.open(ctx, env, stderr, false)
	if err != nil {
		return err
	}
	defer a.close()
	svc, err := a.takedownService(c)
	if err != nil {
		return err
	}
	n, t, err := svc.Preview(ctx, id)
	if err != nil {
		if undox.ErrorCode(err) == undox.EINVALID {
			return fmt.Errorf("the notice cannot be rendered: %s", fieldProblems(err))
		}
		return err
	}
	to := t.Email
	if to == "" {
		to = "(web form or API: an analyst submits it)"
	}
	fmt.Fprintf(stdout, "To: %s <%s> (%s)\nTemplate: %s (version %s)\nSubject: %s\nX-ARF reports: %d\n\n%s",
		t.Organisation, to, t.Role, n.Template, n.TemplateVersion, n.Subject, len(n.XARF), n.Text)
	if !strings.HasSuffix(n.Text, "\n") {
		fmt.Fprintln(stdout)
	}
	return nil
}

// fieldProblems says what is wrong with each field of an EINVALID error,
// by field: "notifier.email: …; notifier.name: …", or its message when it
// names no field.
func fieldProblems(err error) string {
	f := undox.ErrorFields(err)
	if len(f) == 0 {
		return undox.ErrorMessage(err)
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + f[k]
	}
	return strings.Join(parts, "; ")
}
