package handlers

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/golive-dev/golive/bot/inbox"
	"github.com/golive-dev/golive/bot/logging"
	"github.com/golive-dev/golive/bot/store"
)

// InstallationStore is what the installation handlers record.
type InstallationStore interface {
	UpsertInstallation(ctx context.Context, in store.Installation) error
	DeleteInstallation(ctx context.Context, id int64) error
	AddRepositories(ctx context.Context, installationID int64, repos []store.Repository) error
	RemoveRepositories(ctx context.Context, installationID int64, repoIDs []int64) error
}

// ClientCache drops the cached API client of an installation that is gone.
type ClientCache interface {
	Forget(installationID int64)
}

// PingHandler takes the `ping` GitHub sends when a webhook is set up.
type PingHandler struct{}

// Handles implements inbox.EventHandler.
func (PingHandler) Handles() []string { return []string{"ping"} }

// Handle logs the hook that was set up.
func (PingHandler) Handle(ctx context.Context, _, _ string, payload []byte) error {
	var p github.PingEvent
	if err := decodePayload(payload, &p); err != nil {
		return inbox.Permanent(fmt.Errorf("parse ping payload: %w", err))
	}
	logging.From(ctx).Info("ping received", "hook_id", p.GetHookID(), "zen", p.GetZen())
	return nil
}

// InstallationHandler records the App being installed, suspended, changed or
// uninstalled.
type InstallationHandler struct {
	Store   InstallationStore
	Clients ClientCache
}

// Handles implements inbox.EventHandler.
func (*InstallationHandler) Handles() []string { return []string{"installation"} }

// Handle applies one installation event to the store.
func (h *InstallationHandler) Handle(ctx context.Context, _, _ string, payload []byte) error {
	var e github.InstallationEvent
	if err := decodePayload(payload, &e); err != nil {
		return inbox.Permanent(fmt.Errorf("parse installation payload: %w", err))
	}
	in := e.GetInstallation()
	if in.GetID() == 0 {
		return inbox.Permanent(fmt.Errorf("installation %q event without an installation id", e.GetAction()))
	}
	log := logging.From(ctx).With("installation", in.GetID(), "account", in.GetAccount().GetLogin())
	switch e.GetAction() {
	case "deleted":
		if err := h.Store.DeleteInstallation(ctx, in.GetID()); err != nil {
			return fmt.Errorf("delete installation %d: %w", in.GetID(), err)
		}
		if h.Clients != nil {
			h.Clients.Forget(in.GetID())
		}
		log.Info("installation removed")
		return nil
	case "created", "suspend", "unsuspend", "new_permissions_accepted":
		if err := h.Store.UpsertInstallation(ctx, toInstallation(in)); err != nil {
			return fmt.Errorf("record installation %d: %w", in.GetID(), err)
		}
		if e.GetAction() == "created" && len(e.Repositories) > 0 {
			if err := h.Store.AddRepositories(ctx, in.GetID(), toRepositories(in.GetID(), e.Repositories)); err != nil {
				return fmt.Errorf("record repositories of installation %d: %w", in.GetID(), err)
			}
		}
		log.Info("installation recorded", "action", e.GetAction(), "repositories", len(e.Repositories))
		return nil
	default:
		log.Debug("installation action ignored", "action", e.GetAction())
		return nil
	}
}

// InstallationRepositoriesHandler records repositories being added to or
// removed from an installation.
type InstallationRepositoriesHandler struct {
	Store InstallationStore
}

// Handles implements inbox.EventHandler.
func (*InstallationRepositoriesHandler) Handles() []string {
	return []string{"installation_repositories"}
}

// Handle applies one installation_repositories event to the store.
func (h *InstallationRepositoriesHandler) Handle(ctx context.Context, _, _ string, payload []byte) error {
	var e github.InstallationRepositoriesEvent
	if err := decodePayload(payload, &e); err != nil {
		return inbox.Permanent(fmt.Errorf("parse installation_repositories payload: %w", err))
	}
	in := e.GetInstallation()
	if in.GetID() == 0 {
		return inbox.Permanent(fmt.Errorf("installation_repositories %q event without an installation id", e.GetAction()))
	}
	// The installation may predate golive's database; record it too.
	if err := h.Store.UpsertInstallation(ctx, toInstallation(in)); err != nil {
		return fmt.Errorf("record installation %d: %w", in.GetID(), err)
	}
	if len(e.RepositoriesAdded) > 0 {
		if err := h.Store.AddRepositories(ctx, in.GetID(), toRepositories(in.GetID(), e.RepositoriesAdded)); err != nil {
			return fmt.Errorf("add repositories to installation %d: %w", in.GetID(), err)
		}
	}
	if len(e.RepositoriesRemoved) > 0 {
		ids := make([]int64, len(e.RepositoriesRemoved))
		for i, r := range e.RepositoriesRemoved {
			ids[i] = r.GetID()
		}
		if err := h.Store.RemoveRepositories(ctx, in.GetID(), ids); err != nil {
			return fmt.Errorf("remove repositories from installation %d: %w", in.GetID(), err)
		}
	}
	logging.From(ctx).Info("installation repositories changed", "installation", in.GetID(),
		"added", len(e.RepositoriesAdded), "removed", len(e.RepositoriesRemoved))
	return nil
}

func toInstallation(in *github.Installation) store.Installation {
	return store.Installation{
		ID:           in.GetID(),
		AccountID:    in.GetAccount().GetID(),
		AccountLogin: in.GetAccount().GetLogin(),
		AccountType:  in.GetAccount().GetType(),
		Suspended:    in.SuspendedAt != nil,
		CreatedAt:    in.GetCreatedAt().Time.UTC(),
		UpdatedAt:    in.GetUpdatedAt().Time.UTC(),
	}
}

func toRepositories(installationID int64, rs []*github.Repository) []store.Repository {
	out := make([]store.Repository, 0, len(rs))
	for _, r := range rs {
		out = append(out, store.Repository{ID: r.GetID(), InstallationID: installationID, FullName: r.GetFullName(), Private: r.GetPrivate()})
	}
	return out
}
