// Package golive holds files of the repository root that the golive binary
// carries: the GitHub App manifest app.yml and the Slack app manifest
// slack-app-manifest.yml, which first-run setup offers.
package golive

import _ "embed"

// AppManifestYAML is app.yml, the GitHub App manifest that first-run setup
// registers through GitHub's manifest flow.
//
//go:embed app.yml
var AppManifestYAML []byte

// SlackManifestYAML is slack-app-manifest.yml, the Slack app manifest that
// first-run setup's Slack step links to.
//
//go:embed slack-app-manifest.yml
var SlackManifestYAML []byte
