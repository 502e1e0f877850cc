//! The API reference page (`GET /docs/api`): the OpenAPI document rendered as one self-contained
//! HTML page, every request and answer field with its type, limit and rule, and every resCd.

use serde_json::Value;

use crate::pages::escape;

/// One field of a request or answer, flattened to its dotted path.
struct Row {
    path: String,
    kind: String,
    required: bool,
    limit: String,
    rule: String,
    description: String,
}

/// Follows a local `$ref`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .map(|target| resolve(doc, target))
            .unwrap_or(schema),
        None => schema,
    }
}

/// Drops the `null` alternative of an optional value.
fn non_null<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = resolve(doc, schema);
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        let real: Vec<&Value> = options
            .iter()
            .filter(|option| option.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if real.len() == 1 {
            return resolve(doc, real[0]);
        }
    }
    schema
}

fn type_name(doc: &Value, schema: &Value) -> String {
    let schema = non_null(doc, schema);
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        let names: Vec<String> = options.iter().map(|o| type_name(doc, o)).collect();
        return names.join(" or ");
    }
    match schema.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .filter(|kind| *kind != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        _ if schema.get("oneOf").is_some() => "string".into(),
        _ => "any".into(),
    }
}

fn rule_of(doc: &Value, schema: &Value) -> String {
    let schema = non_null(doc, schema);
    let mut parts = Vec::new();
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let listed: Vec<String> = values
            .iter()
            .map(|v| format!("<code>{}</code>", escape(&v.to_string())))
            .collect();
        parts.push(format!("one of {}", listed.join(", ")));
    }
    if let Some(value) = schema.get("const") {
        parts.push(format!(
            "exactly <code>{}</code>",
            escape(&value.to_string())
        ));
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        parts.push(format!("pattern <code>{}</code>", escape(pattern)));
    }
    if let Some(format) = schema.get("format").and_then(Value::as_str) {
        parts.push(format!("format {}", escape(format)));
    }
    if let (Some(min), Some(max)) = (schema.get("minimum"), schema.get("maximum")) {
        parts.push(format!("{min} … {max}"));
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        let inner: Vec<String> = options
            .iter()
            .map(|o| rule_of(doc, o))
            .filter(|r| !r.is_empty())
            .collect();
        parts.extend(inner);
    }
    parts.join("; ")
}

fn description_of(doc: &Value, schema: &Value) -> String {
    schema
        .get("description")
        .or_else(|| non_null(doc, schema).get("description"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

fn flatten(doc: &Value, schema: &Value, prefix: &str, rows: &mut Vec<Row>, depth: usize) {
    let schema = non_null(doc, schema);
    if depth > 6 {
        return;
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        // Alternative answers: fields of each, once.
        if options
            .iter()
            .all(|o| resolve(doc, o).get("properties").is_some())
        {
            for option in options {
                flatten(doc, option, prefix, rows, depth + 1);
            }
            return;
        }
    }
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, property) in properties {
        let path = format!("{prefix}{name}");
        if rows.iter().any(|row| row.path == path) {
            continue;
        }
        let target = non_null(doc, property);
        let limit = target
            .get("maxLength")
            .or_else(|| property.get("maxLength"))
            .map(|max| format!("{max} bytes"))
            .unwrap_or_default();
        rows.push(Row {
            path: path.clone(),
            kind: type_name(doc, property),
            required: required.contains(&name.as_str()),
            limit,
            rule: if name == "resCd" {
                "see the resCd table".into()
            } else {
                rule_of(doc, property)
            },
            description: description_of(doc, property),
        });
        if target.get("properties").is_some() {
            flatten(doc, target, &format!("{path}."), rows, depth + 1);
        }
        if let Some(items) = target.get("items") {
            flatten(doc, items, &format!("{path}[]."), rows, depth + 1);
        }
    }
}

fn field_table(doc: &Value, schema: &Value) -> String {
    let mut rows = Vec::new();
    flatten(doc, schema, "", &mut rows, 0);
    if rows.is_empty() {
        return "<p class=\"muted\">No fields.</p>".into();
    }
    let body: String = rows
        .iter()
        .map(|row| {
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&row.path),
                escape(&row.kind),
                if row.required { "required" } else { "" },
                escape(&row.limit),
                row.rule,
                prose(&row.description)
            )
        })
        .collect();
    format!(
        "<table><thead><tr><th>field</th><th>type</th><th></th><th>max (EUC-KR)</th><th>rule</th><th>about</th></tr></thead><tbody>{body}</tbody></table>"
    )
}

/// Inline `code` spans of a description (the document's text uses backticks).
fn prose(text: &str) -> String {
    let mut html = String::new();
    for (index, part) in text.split('`').enumerate() {
        if index % 2 == 1 {
            html.push_str(&format!("<code>{}</code>", escape(part)));
        } else {
            html.push_str(&escape(part).replace("**", ""));
        }
    }
    html
}

fn anchor(method: &str, path: &str) -> String {
    format!("{method}-{path}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

pub fn render(doc: &Value) -> String {
    let mut toc = String::new();
    let mut sections = String::new();
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .map(|tags| tags.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    for tag in tags {
        let mut items = String::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if op["tags"][0].as_str() != Some(tag) {
                    continue;
                }
                let id = anchor(method, path);
                items.push_str(&format!(
                    "<li><a href=\"#{id}\"><span class=\"m\">{}</span> {}</a> {}</li>",
                    escape(&method.to_uppercase()),
                    escape(path),
                    escape(op["summary"].as_str().unwrap_or(""))
                ));
                sections.push_str(&operation(doc, &id, method, path, op));
            }
        }
        if !items.is_empty() {
            toc.push_str(&format!("<h3>{}</h3><ul>{items}</ul>", escape(tag)));
        }
    }
    let mut webhooks = String::new();
    for (name, item) in doc["webhooks"].as_object().into_iter().flatten() {
        let post = &item["post"];
        webhooks.push_str(&format!(
            "<section class=\"op\" id=\"webhook-{0}\"><h3>{0}</h3><p>{1}</p><p>{2}</p>{3}</section>",
            escape(name),
            escape(post["summary"].as_str().unwrap_or("")),
            escape(post["description"].as_str().unwrap_or("")),
            field_table(doc, &post["requestBody"]["content"]["application/json"]["schema"])
        ));
    }
    let codes: String = doc["components"]["schemas"]["ResCd"]["oneOf"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|code| {
            format!(
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                escape(code["const"].as_str().unwrap_or("")),
                escape(code["description"].as_str().unwrap_or(""))
            )
        })
        .collect();
    format!(
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference · easypay</title><style>{CSS}</style></head>
<body><header><h1>easypay API reference</h1><p class="muted">version {version} · generated from the wire types · <a href="../openapi.json">openapi.json</a></p></header>
<main><p>{intro}</p><nav><h2>Endpoints</h2>{toc}<h3>More</h3><ul><li><a href="#webhooks">Notifications sent to merchants</a></li><li><a href="#rescd">Every resCd</a></li></ul></nav>
{sections}<h2 id="webhooks">Notifications sent to merchants</h2>{webhooks}
<h2 id="rescd">Every resCd</h2><table><thead><tr><th>resCd</th><th>HTTP and meaning</th></tr></thead><tbody>{codes}</tbody></table></main></body></html>
"##,
        version = escape(doc["info"]["version"].as_str().unwrap_or("")),
        intro = prose(doc["info"]["description"].as_str().unwrap_or("")),
    )
}

fn operation(doc: &Value, id: &str, method: &str, path: &str, op: &Value) -> String {
    let mut html = format!(
        "<section class=\"op\" id=\"{id}\"><h3><span class=\"m\">{}</span> <code>{}</code></h3><p><strong>{}</strong></p><p>{}</p>",
        escape(&method.to_uppercase()),
        escape(path),
        escape(op["summary"].as_str().unwrap_or("")),
        prose(op["description"].as_str().unwrap_or(""))
    );
    if op.get("security").is_some() {
        html.push_str("<p class=\"muted\">HTTP Basic: <code>mallId:secretKey</code>.</p>");
    }
    if let Some(params) = op["parameters"].as_array() {
        let rows: String = params
            .iter()
            .map(|p| {
                format!(
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(p["name"].as_str().unwrap_or("")),
                    escape(p["in"].as_str().unwrap_or("")),
                    rule_of(doc, &p["schema"]),
                    escape(p["description"].as_str().unwrap_or(""))
                )
            })
            .collect();
        html.push_str(&format!(
            "<h4>Parameters</h4><table><tbody>{rows}</tbody></table>"
        ));
    }
    if let Some(body) = op.get("requestBody") {
        let optional = if body["required"] == Value::Bool(true) {
            ""
        } else {
            " (optional)"
        };
        html.push_str(&format!(
            "<h4>Request body{optional}</h4>{}",
            field_table(doc, &body["content"]["application/json"]["schema"])
        ));
    }
    let ok = &op["responses"]["200"]["content"];
    if let Some(schema) = ok["application/json"]["schema"].as_object() {
        let schema = Value::Object(schema.clone());
        let answer = schema["anyOf"]
            .as_array()
            .and_then(|options| options.first().cloned())
            .unwrap_or(schema);
        html.push_str(&format!("<h4>Answer</h4>{}", field_table(doc, &answer)));
    }
    let statuses: Vec<String> = op["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, response)| {
            format!(
                "<li><code>{}</code> {}</li>",
                escape(status),
                escape(response["description"].as_str().unwrap_or(""))
            )
        })
        .collect();
    html.push_str(&format!(
        "<h4>HTTP statuses</h4><ul>{}</ul></section>",
        statuses.join("")
    ));
    html
}

const CSS: &str = r#"
body{margin:0;font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Noto Sans KR",sans-serif;color:#1f2328;background:#f6f8fa}
header{background:#07c160;color:#fff;padding:16px 24px}header h1{margin:0;font-size:22px}header a{color:#fff}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
.muted{color:#6b7280}header .muted{color:#e8f8ef;margin:4px 0 0}
nav ul{list-style:none;padding:0}nav li{margin:2px 0}
.op{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px 16px;margin:16px 0}
.m{display:inline-block;min-width:48px;font-size:12px;font-weight:700;color:#fff;background:#2563eb;border-radius:4px;padding:1px 6px;text-align:center}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0;background:#fff}
th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}code{font-size:12.5px;word-break:break-all}
"#;
