package repoconfig

import (
	"context"
	"errors"
	"fmt"
)

// Fetcher reads one file from the default branch of a GitHub repository.
type Fetcher interface {
	// GetFile returns the file's contents and found=true, or found=false
	// with a nil error when the repository or the file does not exist. Any
	// other failure (network, permissions, rate limits) is an error.
	GetFile(ctx context.Context, owner, repo, path string) (data []byte, found bool, err error)
}

// Source says where a configuration came from.
type Source string

// The places Load takes a configuration from.
const (
	SourceRepository   Source = "repository"   // owner/repo/.github/golive.yml
	SourceOrganization Source = "organization" // owner/.github/.github/golive.yml
	SourceDefaults     Source = "defaults"     // no file anywhere: Default()
)

// LoadError says a configuration file could not be read, so whether the
// repository has a configuration is unknown. Callers must not fall back to
// the defaults on a LoadError.
type LoadError struct {
	Owner, Repo, Path string
	Err               error
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("read golive configuration %s/%s:%s: %v", e.Owner, e.Repo, e.Path, e.Err)
}

func (e *LoadError) Unwrap() error { return e.Err }

// Load returns the configuration for owner/repo: Path in the repository;
// when the repository has none, Path in the owner's .github repository; when
// neither exists, Default(). The Source tells which.
//
// A file that cannot be fetched is a *LoadError; a file that is found but
// invalid is a *ParseError (with File set) and Load does not look further:
// a broken repository file is never silently replaced by the organization's
// or the defaults. On error the Source is where the failing file was.
func Load(ctx context.Context, f Fetcher, owner, repo string) (*Config, Source, error) {
	type place struct {
		repo   string
		source Source
	}
	places := []place{{repo, SourceRepository}, {OrganizationRepo, SourceOrganization}}
	if repo == OrganizationRepo {
		// The .github repository's own file is the organization's file.
		places = places[1:]
	}
	for _, p := range places {
		data, found, err := f.GetFile(ctx, owner, p.repo, Path)
		if err != nil {
			return nil, p.source, &LoadError{Owner: owner, Repo: p.repo, Path: Path, Err: err}
		}
		if !found {
			continue
		}
		cfg, err := Decode(data)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.File = owner + "/" + p.repo + ":" + Path
			}
			return nil, p.source, err
		}
		return cfg, p.source, nil
	}
	return Default(), SourceDefaults, nil
}
