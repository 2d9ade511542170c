package handlers

import (
	"html/template"
	"net/http"
)

// setupTemplate is setup mode's one page; pageData.Step picks the section.
// Plain HTML forms, no script: the manifest form posts straight to GitHub.
var setupTemplate = template.Must(template.New("setup").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>golive setup</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
code, pre { font: 0.9em ui-monospace, monospace; background: #f6f8fa; border-radius: 4px; }
code { padding: 0.1em 0.3em; } pre { padding: 0.8rem; overflow-x: auto; }
.note { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 0.6rem 0.9rem; }
.error { background: #ffebe9; border: 1px solid #cf222e; border-radius: 6px; padding: 0.6rem 0.9rem; }
.done { background: #dafbe1; border: 1px solid #1a7f37; border-radius: 6px; padding: 0.6rem 0.9rem; }
button.primary { font-size: 1.05rem; padding: 0.6rem 1.2rem; background: #1f883d; color: #fff; border: 0; border-radius: 6px; cursor: pointer; }
table { border-collapse: collapse; } td, th { text-align: left; padding: 0.2rem 0.8rem 0.2rem 0; }
label { display: block; margin-top: 0.8rem; font-weight: 600; }
input[type=text], input[type=password] { width: 100%; max-width: 30rem; padding: 0.4rem; font: inherit; }
</style>
</head>
<body>
<h1>golive setup</h1>
{{- if eq .Step "github"}}
<p>golive has no GitHub App yet. This page registers one for it, from golive's manifest
<code>app.yml</code>, through GitHub's <a href="https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest">manifest flow</a>.</p>

<h2>What happens</h2>
<ol>
<li>The button sends the manifest below to GitHub ({{.GitHubWebURL}}){{if .Org}}, to register the App for the organization <strong>{{.Org}}</strong>{{else}}, to register the App for your own account{{end}}.</li>
<li>On GitHub you name the App and create it. GitHub then sends you back to golive.</li>
<li>golive fetches the new App's ID, private key and webhook secret from GitHub and writes them to
<code>{{.EnvFile}}</code> (readable by its owner only). They are never shown on a page or written to the log.</li>
<li>If <code>SLACK_SIGNING_SECRET</code> is not set yet, a second step connects the Slack app; then golive runs as the App, and this setup page is gone.</li>
</ol>

{{- if .Derived}}
<p class="note"><code>GOLIVE_PUBLIC_URL</code> is not set, so golive uses the address of this page,
<code>{{.PublicURL}}</code>, for the App's webhook and redirect URLs. GitHub must be able to reach it; if it cannot,
set <code>GOLIVE_PUBLIC_URL</code> to golive's public https URL and restart golive.</p>
{{- end}}

<h2>The App</h2>
<table>
<tr><th>Webhook URL</th><td><code>{{.WebhookURL}}</code></td></tr>
<tr><th>Visibility</th><td>{{if .Manifest.Public}}public (any account can install it){{else}}private (only its owner can install it){{end}}</td></tr>
<tr><th>Permissions</th><td>{{range .Permissions}}<code>{{.Name}}: {{.Access}}</code> {{end}}</td></tr>
<tr><th>Events</th><td>{{range .Manifest.DefaultEvents}}<code>{{.}}</code> {{end}} (plus <code>installation</code> and <code>installation_repositories</code>, which every App receives)</td></tr>
</table>
<details><summary>The manifest sent to GitHub</summary><pre>{{.ManifestPretty}}</pre></details>

<h2>Owner</h2>
<form method="get" action="/setup">
<input type="hidden" name="code" value="{{.Code}}">
<label for="org">Register the App for an organization instead of your account (optional)</label>
<input type="text" id="org" name="org" value="{{.Org}}" placeholder="organization login" autocomplete="off">
{{- if .OrgInvalid}}<p class="error">That is not a GitHub organization login (letters, digits and single hyphens, at most 39 characters).</p>{{end}}
<p><button type="submit">Use this owner</button></p>
</form>

<h2>Register</h2>
<form method="post" action="{{.RegisterURL}}">
<input type="hidden" name="manifest" value="{{.ManifestJSON}}">
<button class="primary" type="submit">Register the GitHub App on GitHub</button>
</form>
{{- else if eq .Step "slack"}}
<p class="done">The GitHub App <strong>{{.App.Name}}</strong> is registered{{if .App.Owner}} for <strong>{{.App.Owner}}</strong>{{end}},
and its credentials are saved in <code>{{.EnvFile}}</code>.</p>
<h2>Connect Slack</h2>
<p>golive verifies every Slack request with the Slack app's signing secret, so it needs <code>SLACK_SIGNING_SECRET</code> before it runs as the App.</p>
<ol>
{{- if .Slack}}
<li><a href="{{.Slack.CreateURL}}">Create the Slack app from golive's manifest</a> (its request URLs point at <code>{{.PublicURL}}</code>).
If Slack does not fill it in, open <a href="https://api.slack.com/apps?new_app=1">api.slack.com/apps?new_app=1</a>,
choose <em>From an app manifest</em>, pick your workspace and paste this manifest:
<details><summary>slack-app-manifest.yml for this golive</summary><pre>{{.Slack.YAML}}</pre></details></li>
{{- else}}
<li>Open <a href="https://api.slack.com/apps?new_app=1">api.slack.com/apps?new_app=1</a>, choose <em>From an app manifest</em>,
pick your workspace and paste golive's <code>slack-app-manifest.yml</code> (at the root of the golive repository),
with its example URLs replaced by golive's public URL.</li>
{{- end}}
<li>Create the app and install it to your workspace.</li>
<li>Copy the <em>Signing Secret</em> (Basic Information → App Credentials) and the <em>Bot User OAuth Token</em>
(OAuth &amp; Permissions, it starts with <code>xoxb-</code>) into this form. Without the token golive posts nothing to Slack; you can add <code>SLACK_BOT_TOKEN</code> later.</li>
</ol>
{{- if .SlackError}}<p class="error">{{.SlackError}}</p>{{end}}
<form method="post" action="/setup/slack" autocomplete="off">
<input type="hidden" name="code" value="{{.Code}}">
<label for="slack_signing_secret">Signing secret</label>
<input type="password" id="slack_signing_secret" name="slack_signing_secret" required>
<label for="slack_bot_token">Bot token (optional)</label>
<input type="password" id="slack_bot_token" name="slack_bot_token" placeholder="xoxb-…">
<p><button class="primary" type="submit">Save and start golive</button></p>
</form>
<p>Both are written to <code>{{.EnvFile}}</code>, never shown or logged.</p>
{{- else if eq .Step "done"}}
<p class="done">golive is set up and now runs as the GitHub App <strong>{{.App.Name}}</strong>. This setup page is gone.</p>
<h2>Next</h2>
<ol>
<li>{{with .App.InstallURL}}<a href="{{.}}">Install the App</a>{{else}}Install the App{{end}} on the repositories whose go-lives it tracks
(and on the owner's <code>.github</code> repository if it holds a shared <code>golive.yml</code>).</li>
<li>Invite the Slack bot to your go-live channels (<code>/invite @golive</code>).</li>
<li>Open a go-live issue, or label one <code>golive</code>.</li>
</ol>
<p>The credentials are in <code>{{.EnvFile}}</code>; keep it out of version control and back it up like any secret.</p>
{{- else}}
<p class="error"><strong>{{.Title}}.</strong> {{.Message}}</p>
{{- end}}
</body>
</html>
`))

// installedPage is where GitHub sends people after they install the App (the
// manifest's setup_url and callback_urls). It reads nothing from the request.
func installedPage(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'")
	_, _ = w.Write([]byte(installedHTML))
}

const installedHTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>golive is installed</title>
<style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }</style></head>
<body>
<h1>golive is installed</h1>
<p>golive now receives the events of the repositories you selected.</p>
<ol>
<li>Copy golive's issue form <code>.github/ISSUE_TEMPLATE/golive.yml</code> into a repository, or label an issue <code>golive</code>: it becomes a tracked go-live checklist.</li>
<li>Optionally add a <code>.github/golive.yml</code> (Slack channel, environments, reminders); <code>golive validate</code> checks it.</li>
<li>Invite the Slack bot to the go-live channel (<code>/invite @golive</code>) and try <code>/golive help</code>.</li>
</ol>
</body>
</html>
`
