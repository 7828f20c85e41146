/// The OpenAPI 3.1 document of the service, served at `/openapi.json` and printed by
/// `watermark-server openapi`; docs/openapi.json is a copy that a test keeps equal. The
/// tests hold the server to it (schemathesis, and every answer checked against its schema).
public enum OpenAPIDocument {
    public static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "watermark-server",
    "version": "1.0.0",
    "summary": "Detection of the greenlist-v1 text watermark, with the keys held by the service.",
    "description": "Answers whether a text (or a list of token ids) carries one of the service's watermark keys. Callers authenticate with a bearer API token; a token's scope decides how much of the score it sees: scope verdict gets the verdict and the p-value to two significant digits, scope full gets everything `watermark detect --json` reports, with per-token attribution on request."
  },
  "servers": [{"url": "http://127.0.0.1:8080"}],
  "security": [{"bearer": []}],
  "paths": {
    "/v1/detect": {
      "post": {
        "operationId": "detect",
        "summary": "Test one document for the watermark.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}},
        "responses": {
          "200": {"description": "The document's answer, as the token's scope allows.",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "429": {"$ref": "#/components/responses/TooManyRequests"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/v1/detect/batch": {
      "post": {
        "operationId": "detectBatch",
        "summary": "Test several documents; each gets its own answer or error entry.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Batch"}}}},
        "responses": {
          "200": {"description": "One entry per document, in request order.",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchAnswer"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "429": {"$ref": "#/components/responses/TooManyRequests"},
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/healthz": {
      "get": {
        "operationId": "health", "summary": "The process is up.", "security": [],
        "responses": {"200": {"description": "Up.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}}}
      }
    },
    "/readyz": {
      "get": {
        "operationId": "ready", "summary": "The service can answer detection requests.", "security": [],
        "responses": {
          "200": {"description": "Ready.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics", "summary": "Prometheus metrics (text exposition format 0.0.4).", "security": [],
        "responses": {"200": {"description": "The metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}}}
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openapi", "summary": "This document.", "security": [],
        "responses": {"200": {"description": "The OpenAPI 3.1 document.", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearer": {"type": "http", "scheme": "bearer", "description": "An API token from `watermark-server token`; the service keeps only its SHA-256."}
    },
    "responses": {
      "BadRequest": {"description": "The body is not valid JSON, or a field is missing, unknown or of the wrong type.",
                     "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthorized": {"description": "No bearer token, or an unknown one.",
                       "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
                       "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Forbidden": {"description": "The token's scope does not allow what was asked (attribution needs scope full).",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooLarge": {"description": "The body, the number of documents or a document's tokens exceed the service's limits.",
                   "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooManyRequests": {"description": "The token's requests per minute or tokens per day are spent.",
                          "headers": {"Retry-After": {"description": "Seconds until the request may succeed.", "schema": {"type": "integer", "minimum": 1}}},
                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "InternalError": {"description": "The quota store failed; nothing was charged.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unavailable": {"description": "Every detection thread is busy and the queue is full, the request timed out, or the service is stopping.",
                      "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "schemas": {
      "Document": {
        "type": "object",
        "description": "Exactly one of text and ids.",
        "properties": {
          "text": {"type": "string", "description": "The text, tokenized by the service's tokenizer."},
          "ids": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 0, "maximum": 4294967295},
                  "description": "Token ids from the service's tokenizer."},
          "id": {"$ref": "#/components/schemas/DocumentID"},
          "scan": {"type": "boolean", "default": false, "description": "Also scan windows for a watermarked stretch; the p-value is corrected for every window tried."},
          "attribution": {"type": "boolean", "default": false, "description": "Scope full only: one status per token (0 context, 1 green, 2 red, 3 repeated, 4 common)."}
        },
        "oneOf": [{"required": ["text"], "not": {"required": ["ids"]}}, {"required": ["ids"], "not": {"required": ["text"]}}],
        "additionalProperties": false
      },
      "DocumentID": {
        "description": "The caller's own id for the document, handed back with its answer.",
        "oneOf": [{"type": "string", "maxLength": 1024}, {"type": "integer", "minimum": -9223372036854775808, "maximum": 9223372036854775807}, {"type": "null"}]
      },
      "Batch": {
        "type": "object",
        "required": ["documents"],
        "properties": {"documents": {"type": "array", "description": "Each a Document. An item that is not one does not fail the batch: it gets its own error entry in the answer.",
                                     "items": {"anyOf": [{"$ref": "#/components/schemas/Document"}, {}]}}},
        "additionalProperties": false
      },
      "Answer": {"oneOf": [{"$ref": "#/components/schemas/FullResult"}, {"$ref": "#/components/schemas/VerdictResult"}]},
      "BatchAnswer": {
        "type": "object",
        "required": ["results"],
        "properties": {"results": {"type": "array", "items": {"oneOf": [
          {"$ref": "#/components/schemas/FullResult"}, {"$ref": "#/components/schemas/VerdictResult"}, {"$ref": "#/components/schemas/Error"}]}}},
        "additionalProperties": false
      },
      "Verdict": {"type": "string", "enum": ["watermarked", "not-watermarked", "too-short"]},
      "VerdictResult": {
        "type": "object",
        "description": "Scope verdict.",
        "required": ["verdict", "p"],
        "properties": {
          "verdict": {"$ref": "#/components/schemas/Verdict"},
          "p": {"type": "number", "minimum": 0, "maximum": 1, "description": "The p-value the verdict rests on (corrected for keys and windows), to two significant digits."},
          "id": {"$ref": "#/components/schemas/DocumentID"}
        },
        "additionalProperties": false
      },
      "KeyScore": {
        "type": "object",
        "required": ["keyID", "green", "z", "p", "log10p"],
        "properties": {"keyID": {"type": "string"}, "green": {"type": "integer"}, "z": {"type": "number"},
                       "p": {"type": "number"}, "log10p": {"type": "number"}},
        "additionalProperties": false
      },
      "Window": {
        "type": "object",
        "required": ["startToken", "endToken", "scored", "green", "z", "p", "log10p", "windowsTried"],
        "properties": {"startToken": {"type": "integer"}, "endToken": {"type": "integer"}, "scored": {"type": "integer"},
                       "green": {"type": "integer"}, "z": {"type": "number"}, "p": {"type": "number"},
                       "log10p": {"type": "number"}, "windowsTried": {"type": "integer"}},
        "additionalProperties": false
      },
      "FullResult": {
        "type": "object",
        "description": "Scope full: the fields of `watermark detect --json` (less source and index).",
        "required": ["keyID", "scheme", "gamma", "effectiveGamma", "contextWidth", "deduplicated", "tokens", "scored", "green", "z",
                     "p", "log10p", "pAdjusted", "log10pAdjusted", "keysTried", "falsePositiveRate", "minimumScored", "minimumScore",
                     "calibrated", "verdict"],
        "properties": {
          "keyID": {"type": "string", "description": "The key that matched best (not secret: a digest of the key)."},
          "scheme": {"type": "string", "const": "greenlist-v1"},
          "gamma": {"type": "number"}, "effectiveGamma": {"type": "number"}, "contextWidth": {"type": "integer"},
          "deduplicated": {"type": "boolean"}, "tokens": {"type": "integer"}, "scored": {"type": "integer"}, "green": {"type": "integer"},
          "z": {"type": "number"}, "p": {"type": "number"}, "log10p": {"type": "number"},
          "pAdjusted": {"type": "number"}, "log10pAdjusted": {"type": "number"}, "keysTried": {"type": "integer"},
          "falsePositiveRate": {"type": "number"}, "minimumScored": {"type": "integer"}, "minimumScore": {"type": "number"},
          "calibrated": {"type": "boolean"}, "verdict": {"$ref": "#/components/schemas/Verdict"},
          "keys": {"type": "array", "items": {"$ref": "#/components/schemas/KeyScore"}},
          "window": {"$ref": "#/components/schemas/Window"},
          "attribution": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 4}},
          "commonTuples": {"type": "string"}, "commonSkipped": {"type": "integer"},
          "tokenizer": {"type": "string", "description": "Fingerprint of the tokenizer that read the text (text input only)."},
          "id": {"$ref": "#/components/schemas/DocumentID"}
        },
        "additionalProperties": false
      },
      "Error": {
        "type": "object",
        "required": ["error", "reason"],
        "properties": {
          "error": {"type": "string", "description": "One line saying what is wrong."},
          "reason": {"type": "string", "enum": ["unauthorized", "forbidden", "rate-limited", "daily-budget", "body-too-large",
                                                "too-many-documents", "too-many-tokens", "bad-request", "not-found",
                                                "method-not-allowed", "overloaded", "timeout", "shutting-down", "internal"]},
          "id": {"$ref": "#/components/schemas/DocumentID"}
        },
        "additionalProperties": false
      },
      "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}
    }
  }
}
"""#
}
