"""The standard emoji names Slack's reactions.add accepts (a subset), for the Slack fake.

A name outside this set and the workspace's custom emoji is `invalid_name`, as on Slack, so an
adapter that maps a model's emoji to a wrong name fails in tests rather than in a workspace.
Skin tones are written "name::skin-tone-2"; names never carry colons.
"""

EMOJI = frozenset(
    """+1 -1 thumbsup thumbsdown heart heart_eyes joy rolling_on_the_floor_laughing tada fire eyes
    white_check_mark heavy_check_mark x pray smile smiley grinning blush clap thinking_face 100 cry sob
    open_mouth rocket star star2 ok_hand raised_hands partying_face sweat_smile wave muscle sparkles
    bulb question exclamation warning memo books book coffee tea pizza cake beers beer wine_glass
    slightly_smiling_face upside_down_face wink laughing grin relaxed sunglasses nerd_face hugging_face
    face_with_rolling_eyes neutral_face expressionless confused worried frowning slightly_frowning_face
    disappointed pensive rage angry scream astonished flushed sleeping sleepy zzz mask skull ghost robot_face
    see_no_evil hear_no_evil speak_no_evil point_up point_down point_left point_right raised_hand
    handshake writing_hand crossed_fingers v metal call_me_hand fist facepunch punch hourglass
    hourglass_flowing_sand alarm_clock stopwatch calendar date pushpin round_pushpin paperclip link lock
    unlock key mag mag_right bell no_bell speech_balloon thought_balloon loudspeaker mega checkered_flag
    trophy medal first_place_medal gem moneybag dollar chart_with_upwards_trend chart_with_downwards_trend
    bar_chart clipboard calendar_spiral card_index file_folder open_file_folder package email envelope
    inbox_tray outbox_tray house office school hospital sun_with_face sunny cloud umbrella snowflake
    zap rainbow earth_africa earth_americas earth_asia seedling herb four_leaf_clover maple_leaf
    fallen_leaf rose tulip sunflower cherry_blossom dog cat mouse rabbit fox_face bear panda_face
    penguin bird chicken frog monkey unicorn_face bee bug butterfly turtle snake octopus fish whale
    dolphin apple green_apple banana grapes strawberry watermelon lemon peach cherries avocado
    broccoli carrot corn bread cheese_wedge egg hamburger fries hotdog taco burrito popcorn doughnut
    cookie chocolate_bar candy lollipop ice_cream birthday champagne clinking_glasses knife_fork_plate
    soccer basketball football baseball tennis golf running walking dancer man_dancing
    musical_note notes headphones microphone guitar art movie_camera camera tv computer keyboard
    iphone telephone_receiver battery electric_plug wrench hammer gear hammer_and_wrench nut_and_bolt
    construction car bus train airplane ship bike rotating_light heavy_plus_sign heavy_minus_sign
    heavy_multiplication_x arrow_up arrow_down arrow_right arrow_left arrows_counterclockwise
    repeat recycle infinity new free up cool sos ok no_entry no_entry_sign stop_sign
    red_circle large_blue_circle white_circle black_circle large_green_circle large_yellow_circle
    large_orange_circle large_purple_circle heart_on_fire broken_heart orange_heart yellow_heart
    green_heart blue_heart purple_heart black_heart white_heart brown_heart sparkling_heart
    two_hearts revolving_hearts cupid gift_heart kiss lips tongue nose ear brain baby boy girl man
    woman older_man older_woman family bow shrug facepalm man-shrugging woman-shrugging
    man-facepalming woman-facepalming raising_hand ok_woman no_good information_desk_person
    thinking saluting_face melting_face smiling_face_with_tear face_holding_back_tears
    exploding_head star-struck zany_face shushing_face money_mouth_face cowboy_hat_face clown_face
    poop hankey innocent smirk unamused relieved grimacing yum stuck_out_tongue kissing_heart
    triumph weary tired_face yawning_face woozy_face hot_face cold_face dizzy_face""".split()
)
