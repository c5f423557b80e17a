using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.Text.Templates;

namespace Sift.Tests.Templates;

/// <summary>ChatTemplate.ForModel: choosing a family from tokenizer_config.json files written here.</summary>
public class ForModelTests
{
    private static string ModelDir(JsonObject tokenizerConfig)
    {
        var dir = Paths.NewTempDir("sift-templates");
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), tokenizerConfig.ToJsonString());
        return dir;
    }

    private static JsonObject Config(string? chatTemplate, JsonNode? bos, JsonNode? eos)
    {
        var config = new JsonObject { ["bos_token"] = bos, ["eos_token"] = eos, ["tokenizer_class"] = "PreTrainedTokenizerFast" };
        if (chatTemplate != null) config["chat_template"] = chatTemplate;
        return config;
    }

    [Theory]
    [InlineData("llama-2", "<s>", "</s>")]
    [InlineData("llama-3", "<|begin_of_text|>", "<|end_of_text|>")]
    [InlineData("chatml", "<|im_start|>", "<|im_end|>")]
    [InlineData("qwen2", null, "<|endoftext|>")]
    [InlineData("qwen2.5", null, "<|im_end|>")]
    [InlineData("mistral", "<s>", "</s>")]
    [InlineData("mistral-legacy", "<s>", "</s>")]
    public void Official_template_text_selects_its_family_and_tokens(string family, string? bos, string? eos)
    {
        var dir = ModelDir(Config(TemplateFixtures.TemplateText(family), bos, eos));

        var template = ChatTemplate.ForModel(dir);

        Assert.Equal(family, template.Name);
        // The bos/eos read from the file are the ones the Jinja render used.
        var expected = TemplateFixtures.Case(family, "multi_turn", addGenerationPrompt: true);
        Assert.Equal(expected.Text, template.Render(TemplateFixtures.Conversations["multi_turn"], true).Text);
    }

    [Fact]
    public void Tokens_given_as_added_token_objects_are_read_from_content()
    {
        var bos = new JsonObject { ["__type"] = "AddedToken", ["content"] = "<s>", ["lstrip"] = false };
        var eos = new JsonObject { ["__type"] = "AddedToken", ["content"] = "</s>", ["lstrip"] = false };
        var dir = ModelDir(Config(TemplateFixtures.TemplateText("llama-2"), bos, eos));

        var rendered = ChatTemplate.ForModel(dir).Render(TemplateFixtures.Conversations["single_turn"], false);

        Assert.Equal(TemplateFixtures.Case("llama-2", "single_turn", false).Text, rendered.Text);
    }

    [Fact]
    public void A_list_of_named_templates_uses_the_one_named_default()
    {
        var list = new JsonArray(
            new JsonObject { ["name"] = "tool_use", ["template"] = TemplateFixtures.TemplateText("llama-2") },
            new JsonObject { ["name"] = "default", ["template"] = TemplateFixtures.TemplateText("llama-3") });
        var config = Config(null, "<|begin_of_text|>", "<|end_of_text|>");
        config["chat_template"] = list;

        Assert.Equal("llama-3", ChatTemplate.ForModel(ModelDir(config)).Name);
    }

    [Fact]
    public void A_list_without_default_is_an_error_naming_the_templates_it_has()
    {
        var config = Config(null, "<s>", "</s>");
        config["chat_template"] = new JsonArray(new JsonObject { ["name"] = "rag", ["template"] = "x" });
        var dir = ModelDir(config);

        var e = Assert.Throws<SiftException>(() => ChatTemplate.ForModel(dir));
        Assert.Contains("tokenizer_config.json", e.Message);
        Assert.Contains("rag", e.Message);
        Assert.Contains("'default'", e.Message);
    }

    [Fact]
    public void No_chat_template_means_plain_with_the_models_bos_and_eos()
    {
        var dir = ModelDir(Config(null, "<s>", "</s>"));

        var template = ChatTemplate.ForModel(dir);

        Assert.Equal("plain", template.Name);
        Assert.Equal(TemplateFixtures.Case("plain", "single_turn", true).Text,
            template.Render(TemplateFixtures.Conversations["single_turn"], true).Text);
    }

    [Fact]
    public void A_folder_without_tokenizer_config_gets_plain_without_special_tokens()
    {
        var template = ChatTemplate.ForModel(Paths.NewTempDir("sift-templates"));

        Assert.Equal("plain", template.Name);
        var rendered = template.Render([new("user", "Hi"), new("assistant", "Hello")], addGenerationPrompt: false);
        Assert.Equal("### Instruction:\nHi\n\n### Response:\nHello\n\n", rendered.Text);
    }

    [Fact]
    public void The_shared_stories260K_model_has_no_chat_template_and_gets_plain_with_its_tokens()
    {
        var template = ChatTemplate.ForModel(Paths.Asset("models", "stories260K-hf"));

        Assert.Equal("plain", template.Name);
        Assert.Equal("<s>### Instruction:\nHi\n\n### Response:\nHello</s>\n\n",
            template.Render([new("user", "Hi"), new("assistant", "Hello")], addGenerationPrompt: false).Text);
    }

    [Fact]
    public void Override_name_wins_over_the_detected_family_and_keeps_the_files_tokens()
    {
        var dir = ModelDir(Config(TemplateFixtures.TemplateText("llama-2"), "<s>", "</s>"));

        var template = ChatTemplate.ForModel(dir, overrideName: "plain");

        Assert.Equal("plain", template.Name);
        Assert.Equal(TemplateFixtures.Case("plain", "multi_turn", false).Text,
            template.Render(TemplateFixtures.Conversations["multi_turn"], false).Text);
    }

    [Fact]
    public void Unknown_override_name_lists_the_known_names()
    {
        var dir = ModelDir(Config(null, "<s>", "</s>"));

        var e = Assert.Throws<SiftException>(() => ChatTemplate.ForModel(dir, overrideName: "vicuna"));
        Assert.Contains("'vicuna'", e.Message);
        foreach (var name in ChatTemplate.Names) Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Missing_model_folder_is_an_error_naming_it()
    {
        var missing = Path.Combine(Paths.NewTempDir("sift-templates"), "no-such-model");

        var e = Assert.Throws<SiftException>(() => ChatTemplate.ForModel(missing));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void Invalid_json_is_an_error_naming_the_file_and_line()
    {
        var dir = Paths.NewTempDir("sift-templates");
        var path = Path.Combine(dir, "tokenizer_config.json");
        File.WriteAllText(path, "{\n  \"bos_token\": \"<s>\",\n  \"chat_template\": oops\n}");

        var e = Assert.Throws<SiftException>(() => ChatTemplate.ForModel(dir));
        Assert.Contains(path, e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void A_template_of_an_unknown_family_is_an_error_suggesting_a_name()
    {
        var dir = ModelDir(Config("{% for message in messages %}<|user|>{{ message['content'] }}{% endfor %}", "<s>", "</s>"));

        var e = Assert.Throws<SiftException>(() => ChatTemplate.ForModel(dir));
        Assert.Contains("tokenizer_config.json", e.Message);
        Assert.Contains("llama-3", e.Message);
    }

    [Fact]
    public void Llama_3_1_template_is_refused_rather_than_rendered_wrongly()
    {
        const string llama31Fragment =
            "{{- bos_token }}{%- if not date_string is defined %}{%- set date_string = \"26 Jul 2024\" %}{%- endif %}" +
            "{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}{{- \"Cutting Knowledge Date: December 2023\\n\" }}";
        var dir = ModelDir(Config(llama31Fragment, "<|begin_of_text|>", "<|eot_id|>"));

        var e = Assert.Throws<SiftException>(() => ChatTemplate.ForModel(dir));
        Assert.Contains("Llama 3.1", e.Message);
    }

    [Fact]
    public void A_chatml_template_with_another_default_system_prompt_inserts_that_prompt()
    {
        // SmolLM2-Instruct's form: Qwen2's structure with its own default system text.
        const string smolLm2 =
            "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}" +
            "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}{% endif %}" +
            "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
            "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        var dir = ModelDir(Config(smolLm2, "<|im_start|>", "<|im_end|>"));

        var template = Assert.IsType<ChatMlTemplate>(ChatTemplate.ForModel(dir));

        Assert.Equal("You are a helpful AI assistant named SmolLM, trained by Hugging Face", template.DefaultSystemPrompt);
        Assert.Equal(
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n" +
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            template.Render([new("user", "Hi")], addGenerationPrompt: true).Text);
    }

    [Fact]
    public void Plain_chatml_has_no_default_system_prompt()
    {
        var dir = ModelDir(Config(TemplateFixtures.TemplateText("chatml"), "<|im_start|>", "<|im_end|>"));

        Assert.Null(Assert.IsType<ChatMlTemplate>(ChatTemplate.ForModel(dir)).DefaultSystemPrompt);
    }
}
