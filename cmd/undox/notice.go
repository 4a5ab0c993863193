package main

import (
	"context"
	"flag"
	"fmt"
	"io"
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
	fs.StringVar(&o.notifierName, "notifier-name", "", "the hotline's name as notices give it (UNDOX_NOTIFIER_NAME)")
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
		Notifier:       notice.Notifier{Name: o.notifierName, Organisation: o.notifierName},
		TrustedFlagger: notice.TrustedFlagger{Designation: o.trustedFlagger}}
	if cfg.PublicURL == "" && c.addr != "" {
		cfg.PublicURL = "http://" + c.addr // as serve defaults it
	}
	if smtpURL != "" {
		if o.mailFrom == "" || o.notifierName == "" {
			return nil, usageError("--smtp needs --mail-from and --notifier-name: notices name the notifier and its address")
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

// noticeCmd is `undox notice preview ITEM`: the notice that confirming the
// item would send, from its latest trace, rendered without sending.
func noticeCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	const usage = "usage: undox notice preview ITEM [--notifier-name NAME] [--mail-from ADDRESS] [--trusted-flagger DESIGNATION] [--public-url URL] [--policy FILE]"
	if len(args) < 2 || args[0] != "preview" || strings.HasPrefix(args[1], "-") {
		return usageError(usage)
	}
	id, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || id < 1 {
		return usageError("ITEM must be an item's id\n" + usage)
	}
	return withApp(ctx, "notice preview", args[2:], env, stderr, func(fs *flag.FlagSet, c *config) {
		fs.StringVar(&c.publicURL, "public-url", "", "base URL of undox as recipients reach it, for the response link (UNDOX_PUBLIC_URL)")
		takedownFlags(fs, c)
	}, nil, func(a *app) error {
		svc, err := a.takedownService(a.cfg)
		if err != nil {
			return err
		}
		n, t, err := svc.Preview(ctx, id)
		if err != nil {
			if undox.ErrorCode(err) == undox.EINVALID {
				return fmt.Errorf("the notice cannot be rendered: %s %v", undox.ErrorMessage(err), undox.ErrorFields(err))
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
	})
}
