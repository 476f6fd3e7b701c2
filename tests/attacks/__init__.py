"""The attack catalogue: every hostile input we try, each asserting the exact refusal.

An attack passes when the refusal is exact (status and code, SDK exception, or contract
custom error with its arguments), the answer carries no data, and nothing changed — the
gateway's log, request ids, use counts, reported log size and receipt metrics; on chain the
state aimed at and the sender's nonce. ``docs/attacks.md`` is the same list as a table with
the expected refusal of each; ``test_catalogue.py`` keeps the two and the tests in step.
Product bugs found are pinned as ``xfail(strict=True)`` tests until fixed (all fixed so far).

Signatures, membership, replay, time — ``test_gateway_requests.py``
    test_forged_signature_is_refused
    test_malleated_signature_is_refused (s→n−s, swapped, s+n, s=0, DER trailing byte,
        leading zero, long-form length, third integer, empty)
    test_signature_by_another_members_key_is_refused
    test_request_changed_after_signing_is_refused
    test_signature_over_non_canonical_json_is_refused
    test_signature_with_another_sm2_user_id_is_refused
    test_signature_that_is_not_base64_der_is_refused
    test_valid_signature_of_a_member_the_committee_voted_out_is_refused (suspended, removed)
    test_consumer_that_is_no_member_is_refused
    test_member_without_the_consumer_role_is_refused
    test_replayed_request_is_refused
    test_used_request_id_with_a_new_body_is_refused
    test_request_id_replayed_in_another_case_is_malformed
    test_timestamp_beyond_the_allowed_skew_is_refused (stale, future)
    test_timestamp_beyond_json_integers_is_malformed_not_a_crash
    test_refusals_left_no_reservation_behind

Grants: state, scope, owner, document — ``test_gateway_grants.py``
    test_grant_the_owner_paused_or_revoked_is_refused
    test_grant_the_owner_never_approved_is_refused (pending, rejected)
    test_expired_grant_is_refused (injected clock)
    test_grant_not_valid_yet_is_refused
    test_exhausted_grant_is_refused
    test_unknown_grant_is_refused
    test_grant_used_by_another_institution_is_refused
    test_resource_outside_the_grant_is_refused
    test_unknown_resource_is_refused
    test_field_outside_the_grant_is_refused
    test_raw_field_under_a_derived_grant_is_refused
    test_purpose_other_than_the_grants_is_refused
    test_purpose_the_resource_no_longer_allows_is_refused
    test_subject_the_department_does_not_hold_is_refused
    test_grant_of_an_owner_whose_attestation_was_revoked_is_refused
    test_grant_of_an_owner_whose_key_was_rotated_is_refused
    test_grant_of_an_owner_whose_attestation_is_forged_is_refused
    test_grant_naming_a_key_that_is_not_the_attested_one_is_refused
    test_grant_document_whose_digest_is_not_the_chains_is_refused
    test_grant_document_that_states_other_terms_than_the_chain_is_refused
    test_approval_with_a_forged_owner_signature_is_refused
    test_paused_grant_reopened_by_a_forged_resume_is_refused
    test_paused_grant_reopened_by_a_replayed_genuine_resume_is_refused

Bodies — ``test_gateway_bodies.py``
    test_malformed_json_is_refused
    test_deeply_nested_json_is_refused
    test_wrong_content_type_is_refused
    test_body_over_the_limit_is_refused_by_its_length
    test_body_over_the_limit_is_refused_while_streaming
    test_extra_field_inside_the_signed_request_is_refused
    test_extra_field_beside_the_signed_request_is_refused
    test_duplicate_keys_are_judged_by_the_last_and_refused
    test_mistyped_signed_request_is_refused
    test_value_of_another_json_type_is_refused_even_when_signed
    test_signed_request_rewritten_in_a_look_alike_form_is_refused
    test_param_integer_beyond_json_is_malformed_not_a_crash

Injection and the read API — ``test_gateway_injection.py``
    test_injection_in_a_query_identifier_is_refused_as_malformed (14 strings × 6 fields)
    test_injection_in_a_receipt_id_finds_no_receipt
    test_injection_in_a_batch_seq_is_refused_as_malformed
    test_injection_in_a_receipt_log_parameter_is_refused_as_malformed
    test_huge_receipt_log_offset_is_malformed_not_a_crash
    test_huge_batch_seq_is_malformed_not_a_crash
    test_request_no_route_matches_gets_the_protocol_error_body

A real department plug-in behind uvicorn — ``test_dept_gateway.py``
    test_injection_in_a_params_name_is_refused
    test_injection_in_a_params_value_longer_than_allowed_is_refused
    test_params_value_that_is_not_a_plate_text_is_refused
    test_sql_in_a_params_value_is_bound_not_interpolated
    test_control_character_in_a_params_value_is_refused
    test_body_over_the_limit_is_refused_by_the_real_server
    test_request_replayed_after_a_gateway_restart_is_refused
    test_same_request_sent_eight_times_at_once_is_answered_once
    test_signed_queries_with_generated_contents_are_answered_only_within_the_grant

Contracts and votes — ``test_chain.py``
    test_every_write_of_every_contract_is_attacked
    test_write_by_an_account_of_no_institution_is_refused (every write of every ABI)
    test_write_by_a_member_in_the_wrong_role_is_refused
    test_anchor_in_another_providers_name_is_refused
    test_uses_recorded_by_a_provider_that_does_not_serve_the_resource_are_refused
    test_owner_keys_by_a_member_that_is_no_identity_authority_are_refused
    test_owner_decisions_relayed_by_any_member_still_need_the_owners_signature
    test_grant_request_by_a_member_voted_out_is_refused
    test_double_vote_is_refused
    test_vote_by_a_member_outside_the_committee_is_refused
    test_vote_by_an_account_of_no_institution_is_refused
    test_vote_by_a_suspended_committee_member_is_refused
    test_execution_without_enough_votes_is_refused

The identity authority's relay (SDK) — ``test_owner_relay.py``
    test_approval_with_a_forged_owner_signature_is_not_relayed
    test_action_with_a_forged_owner_signature_is_not_relayed
    test_owner_signed_action_out_of_its_time_is_not_relayed
    test_owner_signed_action_about_another_document_is_not_relayed

The owner portal — ``test_portal.py``
    test_forged_approval_posted_to_the_api_is_refused
    test_forged_revocation_posted_to_the_api_is_refused
    test_acting_on_another_owners_pending_grant_is_refused
    test_revoking_another_owners_active_grant_is_refused
    test_decision_without_a_valid_csrf_token_is_refused
    test_decision_without_a_signed_in_session_is_refused

Use budgets per resource, two providers' gateways — ``test_use_budgets.py``
    test_a_one_use_grant_over_two_providers_is_answered_once_per_resource
    test_one_gateway_keeps_the_budgets_of_a_grants_resources_apart

Grant scope against the catalogue — ``test_grant_scope.py``
    test_sdk_refuses_a_scope_the_catalogue_refutes_and_sends_nothing
    test_sdk_refuses_a_business_resource_beside_a_persons
    test_sdk_refuses_a_business_resource_asked_of_a_person
    test_sdk_refuses_terms_out_of_bounds
    test_sdk_refuses_validity_ending_too_far_ahead
    test_sdk_refuses_too_many_resources_or_fields
    test_grant_written_on_chain_past_the_sdk_is_refused_precisely_by_the_gateway
    test_portal_flags_an_invalid_request_and_refuses_to_approve_it
    test_portal_pages_render_absurd_terms

Reading the log, proofs and metrics — ``test_log_access.py``
    test_every_log_route_and_the_metrics_refuse_an_unauthenticated_request
    test_a_consumer_reading_another_consumers_receipt_is_refused
    test_a_provider_a_committee_member_or_a_non_member_reading_the_log_is_refused
    test_a_forged_or_misdirected_reader_token_is_refused (random key, other path, other
        gateway, re-addressed, not a token)
    test_an_expired_or_future_reader_token_is_refused
    test_a_replayed_reader_token_is_refused
    test_an_auditor_the_committee_suspended_is_refused
    test_the_auditor_reads_everything_and_a_consumer_its_own
    test_the_identity_authority_reads_only_the_owner_it_names
    test_metrics_and_health_details_answer_the_operator_and_auditors_only
    test_the_sdk_fetches_a_proof_as_the_receipts_consumer_only

Schemathesis — ``test_schemathesis.py``
    test_the_budget_is_at_least_1000_cases
    test_the_two_documents_differ_only_in_their_title
    test_generated_requests_make_no_server_error
    test_every_reference_of_the_repaired_document_resolves
    test_every_reference_of_the_served_document_resolves
    test_parameter_errors_are_documented_as_they_are_answered

Bounds of what servers read, and of what the SDK reads — ``test_limits.py``
    test_slowloris_client_is_cut_off_while_another_is_served (headers, body; gateway, portal)
    test_idle_and_long_lived_connections_are_closed
    test_64_kib_of_headers_is_refused_with_431
    test_200_headers_are_refused_with_431
    test_oversized_body_to_every_route_is_refused_with_413
    test_too_many_requests_from_one_client_are_refused_while_another_is_served
    test_endless_answer_stops_the_sdk_client_at_its_bound
    test_dripping_answer_stops_the_sdk_client_at_its_deadline
    test_redirect_to_another_host_is_not_followed
    test_endpoint_outside_the_catalogue_is_refused_before_it_is_sent

The transport: captured requests, tokens and answers — ``test_channel_binding.py``
    test_a_bound_request_is_answered_sealed_over_the_consumers_own_connection
    test_a_captured_request_replayed_by_another_member_is_refused_and_stays_usable
    test_a_non_member_without_a_certificate_gets_no_data
    test_a_non_member_with_a_certificate_of_another_ca_is_not_even_connected
    test_an_unbound_request_is_refused_by_a_gateway_asking_for_certificates
    test_a_channel_cannot_be_swapped_without_breaking_the_signature
    test_a_reader_token_read_off_the_wire_is_refused_on_another_connection
"""
