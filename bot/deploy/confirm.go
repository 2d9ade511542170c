package deploy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/golive-dev/golive/bot/command"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
)

func slackResponse(text string) slackclient.Response { return slackclient.Response{Text: text} }

// ConfirmActionID is the action_id of the button that confirms a Slack
// production deploy; its value is a signed confirmation.
const ConfirmActionID = "golive_confirm_deploy"

// ConfirmFor is how long a confirmation button works.
const ConfirmFor = 10 * time.Minute

// confirmation is what a confirmation button carries: the exact deploy
// (bound to its SHA) and the one person who may confirm it, until Expires.
type confirmation struct {
	InstallationID int64  `json:"i"`
	RepoID         int64  `json:"r"`
	Repo           string `json:"p"`
	Env            string `json:"e"`
	Ref            string `json:"f"`
	SHA            string `json:"s"`
	User           string `json:"u"`
	Channel        string `json:"c"`
	Expires        int64  `json:"x"`
}

// ErrConfirmation: a confirmation button that was altered, expired, or
// pressed by someone else.
var ErrConfirmation = errors.New("confirmation refused")

func (s *Service) sign(c confirmation) (string, error) {
	if len(s.ConfirmKey) == 0 {
		return "", errors.New("sign a deploy confirmation: no key configured")
	}
	body, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("sign a deploy confirmation: %w", err)
	}
	mac := hmac.New(sha256.New, s.ConfirmKey)
	mac.Write(body)
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}

func (s *Service) verify(value, user string) (confirmation, error) {
	body64, sig64, ok := strings.Cut(value, ".")
	body, err1 := base64.RawURLEncoding.DecodeString(body64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sig64)
	if !ok || err1 != nil || err2 != nil || len(s.ConfirmKey) == 0 {
		return confirmation{}, fmt.Errorf("%w: the button's value is not golive's", ErrConfirmation)
	}
	mac := hmac.New(sha256.New, s.ConfirmKey)
	mac.Write(body)
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return confirmation{}, fmt.Errorf("%w: the button's value is not golive's", ErrConfirmation)
	}
	var c confirmation
	if err := json.Unmarshal(body, &c); err != nil {
		return confirmation{}, fmt.Errorf("%w: %v", ErrConfirmation, err)
	}
	if c.User != user {
		return confirmation{}, fmt.Errorf("%w: only the person who asked for this deploy can confirm it", ErrConfirmation)
	}
	if s.Clock.Now().Unix() > c.Expires {
		return confirmation{}, fmt.Errorf("%w: this confirmation expired; run the command again", ErrConfirmation)
	}
	return c, nil
}

// askConfirmation answers a Slack production deploy with a button bound to
// the person, the SHA and ConfirmFor.
func (s *Service) askConfirmation(req Request, ref, sha string) (outcome, error) {
	value, err := s.sign(confirmation{InstallationID: req.InstallationID, RepoID: req.RepoID, Repo: req.Repo, Env: req.Command.Env,
		Ref: ref, SHA: sha, User: req.SlackUser, Channel: req.SlackChannel, Expires: s.Clock.Now().Add(ConfirmFor).Unix()})
	if err != nil {
		return outcome{}, err
	}
	text := fmt.Sprintf("Deploy %s (%s) of %s to %s? The button works for you only, for %d minutes.",
		code(short(sha)), code(ref), escape(req.Repo), code(req.Command.Env), int(ConfirmFor/time.Minute))
	button := slack.NewButtonBlockElement(ConfirmActionID, value, slack.NewTextBlockObject(slack.PlainTextType, "Deploy "+short(sha), false, false))
	button.Style = slack.StyleDanger
	out := outcome{decision: store.CommandAccepted, reason: "awaiting confirmation", text: text}
	out.blocks = []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil),
		slack.NewActionBlock("golive_confirm", button),
	}
	return out, nil
}

// Confirm runs the production deploy a confirmation button stands for, as
// the person who pressed it, with the SHA it was bound to; everything is
// checked again (role, readiness, lock).
func (s *Service) Confirm(ctx context.Context, deliveryID, value, user, responseURL string) error {
	c, err := s.verify(value, user)
	if err != nil {
		if responseURL != "" {
			if rerr := s.Slack.Respond(ctx, responseURL, slackResponse(strings.TrimPrefix(err.Error(), ErrConfirmation.Error()+": ")+".")); rerr != nil {
				s.logger().Warn("answer a deploy confirmation", "err", rerr)
			}
		}
		s.logger().Warn("deploy confirmation refused", "user", user, "err", err)
		return nil
	}
	return s.Run(ctx, Request{Surface: SurfaceSlack, DeliveryID: deliveryID, Text: "confirm deploy " + c.Env + " " + c.SHA,
		Command:        command.Command{Verb: command.VerbDeploy, Env: c.Env, Ref: c.Ref},
		InstallationID: c.InstallationID, RepoID: c.RepoID, Repo: c.Repo,
		SlackUser: user, SlackChannel: c.Channel, ResponseURL: responseURL, ConfirmedSHA: c.SHA})
}
